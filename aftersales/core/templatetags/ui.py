"""Template helpers of the page shell: money, dates, status tags, sortable headers, field rendering."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥1,234.50 — amounts to the fen, half up."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def when(value) -> str:
    """2026-11-26 14:30 in the site's time zone."""
    if not value:
        return ""
    if hasattr(value, "hour"):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    return value.strftime("%Y-%m-%d")


@register.simple_tag
def tag(label, tone: str = "neutral"):
    """A coloured status tag."""
    return format_html('<span class="tag tag-{}">{}</span>', tone, label)


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label):
    """A column header that sorts by `field`, toggling the direction; keeps the other query parameters."""
    request = context["request"]
    current = request.GET.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["sort"] = f"-{field}"
        arrow, aria = "▲", "ascending"
    elif current == f"-{field}":
        params["sort"] = field
        arrow, aria = "▼", "descending"
    else:
        params["sort"] = field
        arrow, aria = "", "none"
    return format_html(
        '<a class="sort" href="?{}" aria-sort="{}">{}<span aria-hidden="true">{}</span></a>',
        params.urlencode(),
        aria,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    params = context["request"].GET.copy()
    params["page"] = number
    return f"?{params.urlencode()}"


@register.simple_tag(takes_context=True)
def page_size_url(context, size) -> str:
    """The same list with another page size, from its first page."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    params["page_size"] = size
    return f"?{params.urlencode()}"


@register.filter
def shown(value) -> str:
    """A recorded value as people read it: lists joined, yes/no for booleans, a dash for nothing."""
    from django.utils.translation import gettext

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def role_tag(code: str):
    """A role's name as a tag (roles are groups named by their code)."""
    from aftersales.org.roles import ROLES

    role = ROLES.get(code)
    return format_html('<span class="tag tag-info">{}</span>', role.label if role else code)
