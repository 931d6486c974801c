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
        _("Service"),
        (
            NavItem(_("Service desk"), "service:desk", "service.view_serviceorder"),
            NavItem(_("Service orders"), "service:order_list", "service.view_serviceorder"),
            NavItem(_("Reception"), "service:order_create", "service.add_serviceorder"),
            NavItem(_("Appointments"), "service:appointment_day", "service.view_appointment"),
            NavItem(_("My jobs"), "service:job_list", "service.work_serviceorder"),
            NavItem(_("Notifications"), "service:notification_list", "service.view_serviceorder"),
        ),
    ),
    (
        _("Front desk"),
        (
            NavItem(_("Customers"), "customers:customer_list", "customers.view_customer"),
            NavItem(_("Assets"), "customers:asset_list", "customers.view_asset"),
            NavItem(_("Import customers"), "customers:customer_import", "customers.import_customer"),
        ),
    ),
    (
        _("Parts"),
        (
            NavItem(_("Parts catalogue"), "parts:part_list", "parts.view_part"),
            NavItem(_("Stock"), "parts:stock_list", "parts.view_stockbalance"),
            NavItem(_("Stock moves"), "parts:move_list", "parts.view_stockmove"),
            NavItem(_("Goods receipts"), "parts:receipt_list", "parts.view_goodsreceipt"),
            NavItem(_("Issue parts"), "parts:issue_create", "parts.issue_stock"),
            NavItem(_("Reservations"), "parts:reservation_list", "parts.view_stockreservation"),
            NavItem(_("Purchase orders"), "parts:purchase_list", "parts.view_purchaseorder"),
            NavItem(_("Suggested orders"), "parts:purchase_suggestions", "parts.view_purchaseorder"),
            NavItem(_("Stocktakes"), "parts:stocktake_list", "parts.view_stocktake"),
            NavItem(_("Defects"), "parts:defect_list", "parts.view_defect"),
            NavItem(_("Stock reports"), "parts:report_index", "parts.view_stock_reports"),
            NavItem(_("Suppliers"), "parts:supplier_list", "parts.view_supplier"),
            NavItem(_("Warehouses"), "parts:warehouse_list", "parts.view_warehouse"),
            NavItem(_("Import parts"), "parts:part_import", "parts.import_part"),
        ),
    ),
    (
        _("Workshop"),
        (
            NavItem(_("Dispatch"), "workshop:dispatch", "service.dispatch_serviceorder"),
            NavItem(_("Progress board"), "workshop:board", "service.view_serviceorder"),
            NavItem(_("Technicians"), "workshop:technician_list", "workshop.view_technicianskill"),
            NavItem(_("Bays"), "workshop:bay_list", "workshop.view_bay"),
            NavItem(_("Productivity"), "workshop:productivity", "workshop.view_clockspan"),
            NavItem(_("Workshop hours and board link"), "workshop:settings", "workshop.change_workshopsettings"),
        ),
    ),
    (
        _("Quality"),
        (
            NavItem(_("Service audits"), "quality:audit_list", "quality.view_audit"),
            NavItem(_("Checklists"), "quality:checklist_list", "quality.view_audit"),
            NavItem(_("Fine split"), "quality:settings", "quality.change_qualitysettings"),
            NavItem(_("My fines and rewards"), "quality:my_postings", None),
        ),
    ),
    (
        _("Appraisal and pay"),
        (
            NavItem(_("Pay runs"), "pay:run_list", "pay.view_payrun"),
            NavItem(_("Pay policies"), "pay:policy_list", "pay.view_paypolicy"),
            NavItem(_("Pay inputs"), "pay:input_list", "pay.view_payinput"),
            NavItem(_("Pay adjustments"), "pay:adjustment_list", "pay.view_payadjustment"),
            NavItem(_("Piece rates"), "pay:piecerate_list", "pay.view_piecerate"),
            NavItem(_("Appraisals"), "pay:appraisal_list", "pay.view_appraisal"),
            NavItem(_("Appraisal forms"), "pay:appraisal_form_list", "pay.view_appraisalform"),
            NavItem(_("My payslips"), "pay:my_payslips", None),
            NavItem(_("My appraisals"), "pay:my_appraisals", None),
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
    """The sections and entries the user may open; the one entry whose address is the longest prefix of
    `path` is active (`/parts/stock/` marks "Stock", not also the catalogue at `/parts/`)."""
    sections = []
    for title, items in NAVIGATION:
        entries = []
        for item in items:
            if item.perm and not user.has_perm(item.perm):
                continue
            entries.append({"label": item.label, "url": _url(item.url_name), "active": False})
        if entries:
            sections.append({"title": title, "items": entries})
    matches = [entry for section in sections for entry in section["items"] if path.startswith(entry["url"])]
    if matches:
        max(matches, key=lambda entry: len(entry["url"]))["active"] = True
    return sections
