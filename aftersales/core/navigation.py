"""The left navigation, by role: each entry shows only to users who hold its permission."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str | None


NAVIGATION = (
    (
        _("Front desk"),
        (
            NavItem(_("Customers"), "customers:customer_list", "customers.view_customer"),
            NavItem(_("Assets"), "customers:asset_list", "customers.view_asset"),
            NavItem(_("Import customers"), "customers:customer_import", "customers.import_customer"),
        ),
    ),
    (
        _("Organisation"),
        (
            NavItem(_("Branches"), "org:branch_list", "org.view_branch"),
            NavItem(_("Employees"), "org:employee_list", "org.view_employee"),
            NavItem(_("Teams"), "org:team_list", "org.view_team"),
            NavItem(_("Positions"), "org:position_list", "org.view_position"),
            NavItem(_("Roles"), "org:role_list", "org.view_employee"),
        ),
    ),
)


_URLS: dict[tuple, str] = {}


def _url(url_name: str) -> str:
    """`reverse(url_name)`, remembered: every page draws the navigation, and its addresses never change."""
    key = (url_name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    url = _URLS.get(key)
    if url is None:
        url = _URLS[key] = reverse(url_name)
    return url


def navigation_for(user, path: str) -> list[dict]:
    sections = []
    for title, items in NAVIGATION:
        entries = []
        for item in items:
            if item.perm and not user.has_perm(item.perm):
                continue
            url = _url(item.url_name)
            entries.append({"label": item.label, "url": url, "active": path.startswith(url)})
        if entries:
            sections.append({"title": title, "items": entries})
    return sections
