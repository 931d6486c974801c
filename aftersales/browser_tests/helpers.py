"""What the browser tests share besides fixtures: the interface's words in the language it shows.

The tests find buttons and fields by the text a user reads. That text comes from the translation
files, which grow while the tests stay put, so the tests ask Django for each word in the interface
language instead of spelling it: `ui_text("Save")` is "保存" once Chinese is translated and "Save"
before.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from django.utils.text import capfirst

UI_LANGUAGE = settings.LANGUAGE_CODE  # "zh-hans": what a browser asking for Chinese gets
BROWSER_LOCALE = "zh-CN"


def ui_text(message: str, language: str = UI_LANGUAGE) -> str:
    """`message` as the page shows it in `language`."""
    with translation.override(language):
        return str(translation.gettext(message))


def field_label(form_class, name: str, language: str = UI_LANGUAGE) -> str:
    """The label a form field shows in `language` (model forms take it from the model's verbose name)."""
    with translation.override(language):
        return str(form_class().fields[name].label)


def model_label(model, name: str, language: str = UI_LANGUAGE) -> str:
    with translation.override(language):
        return str(capfirst(model._meta.get_field(name).verbose_name))


def chinese_translations_exist() -> bool:
    """True once the Chinese catalogue is compiled and translates the navigation."""
    return ui_text("Customers", "zh-hans") != "Customers"


def session_cookie(user, url: str) -> dict:
    """A signed-in session for `user`, as a cookie for the browser (skips the sign-in page)."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def username_label() -> str:
    return model_label(get_user_model(), get_user_model().USERNAME_FIELD)


UNLABELLED_FIELDS_JS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => el.type !== "hidden" && el.getClientRects().length > 0)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map((el) => el.outerHTML)"""


def unlabelled_fields(page) -> list[str]:
    """The visible form fields of the page that assistive technology could not name."""
    return page.evaluate(UNLABELLED_FIELDS_JS)
