"""Domain errors and their mapping to HTTP status codes.

Services raise Django's `ValidationError` for invalid input (422), `PermissionDenied` for a role that
may not act (403), `Http404` for what the user cannot see (404) and `Conflict` when the state of
things forbids the action (409). Pages show them beside the fields or as a toast; the API turns
them into `{"code", "message", "fields"}` (see `core.api`).
"""

from django.utils.translation import gettext_lazy as _


class Conflict(Exception):
    """The action is valid but the current state forbids it (wrong status, not enough stock …)."""

    default_code = "conflict"

    def __init__(self, message=None, *, code: str | None = None, fields: dict[str, list[str]] | None = None):
        self.message = message or _("The current state does not allow this action.")
        self.code = code or self.default_code
        self.fields = fields or {}  # e.g. each employee a pay run could not compute, with the reasons
        super().__init__(str(self.message))
