"""Request middleware of our own."""

import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>` to every response: the benchmarks read server time from it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        return response


class LanguageMiddleware(LocaleMiddleware):
    """Pages are Chinese unless the user switched language (the language cookie set by /i18n/setlang/).

    The browser's Accept-Language is ignored on pages: a dealership's shared front-desk PC with an
    English browser should still show the Chinese interface. API clients are programs that ask for a
    language explicitly, so under /api/ Accept-Language is honoured as usual.
    """

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None
