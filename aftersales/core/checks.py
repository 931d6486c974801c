"""System checks of our own (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_the_environment(app_configs, **kwargs):
    if getattr(settings, "SECRET_KEY_FROM_FILE", False):
        return [
            Warning(
                "SECRET_KEY is not set in the environment; a key kept in var/secret_key is used.",
                hint="Set SECRET_KEY (the same on every app server) in the environment or .env.",
                id="aftersales.W001",
            )
        ]
    return []
