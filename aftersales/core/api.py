"""What every API router shares: bearer-token auth, the error shape, list pagination, id resolution.

Errors always answer `{"code": str, "message": str, "fields": {name: [messages]}}`:
401 not signed in, 403 a role not allowed, 404 missing or not visible, 409 the state forbids it,
422 invalid input, 429 too many sign-in failures. Messages follow the request's language.
"""

from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from aftersales.core.errors import Conflict
from aftersales.core.pagination import paginate

T = TypeVar("T")


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from aftersales.org.services import api_token_user

        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


#: Bearer token first; a signed-in browser session works too (for /api/v1/docs), with its CSRF check.
API_AUTH = [BearerAuth(), django_auth]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ListOut(Schema, Generic[T]):
    items: list[T]
    count: int


def error_body(code: str, message: Any, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def _validation_fields(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("non_field" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"non_field": [str(m) for m in exc.messages]}


def install_error_handlers(api) -> None:
    @api.exception_handler(ValidationError)
    def on_validation_error(request, exc: ValidationError):
        fields = _validation_fields(exc)
        first = next(iter(fields.values()), [_("Invalid input.")])[0]
        code = getattr(type(exc), "code", "invalid")  # subclasses name their case, e.g. vin_confirmation_required
        return api.create_response(request, error_body(code, first, fields), status=422)

    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request, exc: NinjaValidationError):
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
            fields.setdefault(".".join(loc) or "non_field", []).append(_schema_message(error))
        first_field, messages = next(iter(fields.items()), ("non_field", [_("Invalid input.")]))
        return api.create_response(request, error_body("invalid", f"{first_field}: {messages[0]}", fields), status=422)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        return api.create_response(request, error_body("not_authenticated", _("Sign in first.")), status=401)

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        message = str(exc) or _("Your role does not allow this.")
        return api.create_response(request, error_body("forbidden", message), status=403)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(Conflict)
    def on_conflict(request, exc: Conflict):
        return api.create_response(request, error_body(exc.code, exc.message, exc.fields), status=409)

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "throttled"}
        return api.create_response(
            request, error_body(codes.get(exc.status_code, "error"), exc.message), status=exc.status_code
        )


def _schema_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type"):
        return _("Enter a whole number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind.startswith("date"):
        return _("Enter a date like 2026-11-26.")
    if kind == "literal_error" or kind == "enum":
        return _("Choose one of: %(values)s.") % {"values": error.get("ctx", {}).get("expected", "")}
    if kind == "string_too_long":
        return _("At most %(max)s characters.") % {"max": error.get("ctx", {}).get("max_length", "")}
    if kind == "extra_forbidden":
        return _("Unknown field.")
    return str(error.get("msg", _("Invalid value.")))


def api_page(queryset, *, page: int, page_size: int, serialize=None) -> dict:
    """`{"items": [...], "count": N}` for one page of a queryset (exact count)."""
    result = paginate(queryset, page=page, page_size=page_size, exact_count=True)
    items = [serialize(item) for item in result.items] if serialize else result.items
    return {"items": items, "count": result.count}


def resolve(queryset, user, pk: int | None, field: str):
    """A related object given by id in a request body, looked up through the user's funnel (422 if not visible)."""
    if pk is None:
        return None
    try:
        return queryset.for_user(user).get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise ValidationError(
            {field: _("No %(model)s with id %(id)s.") % {"model": queryset.model._meta.verbose_name, "id": pk}}
        ) from exc


def require_api_perm(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied
