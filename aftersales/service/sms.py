"""Text messages (SMS) to staff, through a pluggable sender.

The sender is the class named by `settings.AFTERSALES["SMS_SENDER"]` (a dotted path, from the `SMS_SENDER`
environment variable); by default `LogSmsSender`, which only writes each message to the `aftersales.sms` log, so
that a site without an SMS gateway contract still runs, and the messages can be seen. A gateway adapter is a
class with a `send(mobile, text)` method and a constructor without arguments, reading its own settings.
"""

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_SENDER = "aftersales.service.sms.LogSmsSender"

logger = logging.getLogger("aftersales.sms")


class SmsSender(Protocol):
    """Sends one text to one mobile number; raises on failure (the caller logs it and carries on)."""

    def send(self, mobile: str, text: str) -> None: ...


class LogSmsSender:
    """The default sender: writes `SMS to <mobile>: <text>` to the `aftersales.sms` logger at INFO."""

    def send(self, mobile: str, text: str) -> None:
        logger.info("SMS to %s: %s", mobile, text)


@cache
def _sender_at(path: str) -> SmsSender:
    return import_string(path)()


def sms_sender() -> SmsSender:
    """The configured sender. One instance per dotted path, made on first use (so a changed setting takes effect)."""
    return _sender_at(settings.AFTERSALES.get("SMS_SENDER") or DEFAULT_SENDER)
