"""Pages: printing — print-ready A4 documents of a service order, for the browser's own print dialog.

Each document is a standalone page (no app shell) with the branch's header and the order number as a QR
code: the job card (维修委托书/派工单), the estimate (估价单), the settlement statement (结算单), the release
pass (放行条) and the installation acceptance form (安装验收单). Anyone who may see the order may print it;
another branch's order answers 404 like a missing one.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.service.choices import Consent, LineKind, OrderType, Payer
from aftersales.service.models import Payment, ReleasePass, ServiceOrder, ServiceOrderLine
from aftersales.service.qr import qr_svg
from aftersales.service.totals import order_totals

VIEW = "service.view_serviceorder"

#: The installer's self-check items of an installation, each passed or failed on the acceptance form.
ACCEPTANCE_ITEMS = (
    gettext_lazy("Door frame line joints"),
    gettext_lazy("Door leaf opening and closing"),
    gettext_lazy("Door lock function"),
    gettext_lazy("Paint scratches"),
    gettext_lazy("Nail hole repair"),
)

#: The identifiers of an asset shown on a document, in this order, when the asset has them.
ASSET_FIELDS = (
    "plate",
    "vin",
    "serial",
    "imei",
    "registration_code",
    "order_number",
    "site",
    "address",
)


@dataclass(frozen=True)
class PayerTotal:
    label: str
    amount: Decimal


def _order(request, pk: int) -> ServiceOrder:
    """The order with its header's relations: 404 if the user may not see it, then 403 if they may not view orders."""
    queryset = ServiceOrder.objects.select_related(
        "branch", "customer", "asset", "advisor__employee", "assignee__employee"
    )
    order = get_for_user_or_404(queryset, request.user, pk=pk)
    require_perm(request.user, VIEW)
    return order


def _lines(order: ServiceOrder, *consents: str) -> list[ServiceOrderLine]:
    """The order's lines in the given consent states, in the order they were added."""
    return list(order.lines.filter(consent__in=consents).select_related("technician__employee", "part").order_by("id"))


def _asset_rows(asset) -> list[tuple[str, str]]:
    """(label, value) of the asset's make and identifiers that are filled in."""
    if asset is None:
        return []
    rows = []
    make = " ".join(part for part in (asset.brand, asset.model, str(asset.year or "")) if part)
    if make:
        rows.append((_("Make and model"), make))
    for name in ASSET_FIELDS:
        value = getattr(asset, name)
        if value:
            rows.append((capfirst(asset._meta.get_field(name).verbose_name), value))
    return rows


def _payer_totals(totals) -> list[PayerTotal]:
    """Totals of each payer that has something to pay, in the payers' order."""
    return [PayerTotal(label, totals.by_payer[value]) for value, label in Payer.choices if totals.by_payer.get(value)]


def _names(users) -> list[str]:
    """The people's names (their employee name, else their user name), each once, in the order given."""
    names: list[str] = []
    for user in users:
        if user is None:
            continue
        employee = getattr(user, "employee", None)
        name = employee.name if employee else user.username
        if name not in names:
            names.append(name)
    return names


def _walkaround_items(order: ServiceOrder) -> list[dict]:
    """The damage recorded at the walk-around check, tolerating whatever shape older records have."""
    record = order.walkaround if isinstance(order.walkaround, dict) else {}
    items = record.get("items") or []
    return [
        {"area": item.get("area", ""), "damage": item.get("damage", "")}
        for item in items
        if isinstance(item, dict) and (item.get("area") or item.get("damage"))
    ]


def _render(request, template: str, order: ServiceOrder, title: str, **context):
    return render(
        request,
        template,
        {
            "order": order,
            "branch": order.branch,
            "doc_title": title,
            "qr": qr_svg(order.number, title=order.number),
            "asset_rows": _asset_rows(order.asset),
            **context,
        },
    )


@login_required
def print_job_card(request, pk: int):
    """The repair order / job card: who and what came in, what was found around it, what will be done by whom."""
    order = _order(request, pk)
    lines = _lines(order, Consent.ESTIMATE, Consent.APPROVED, Consent.PENDING)
    walkaround = order.walkaround if isinstance(order.walkaround, dict) else {}
    return _render(
        request,
        "service/print_job_card.html",
        order,
        _("Repair order / job card"),
        labour_lines=[line for line in lines if line.kind == LineKind.LABOUR],
        part_lines=[line for line in lines if line.kind == LineKind.PART],
        damage=_walkaround_items(order),
        photo_count=len(walkaround.get("photos") or []),
    )


@login_required
def print_estimate(request, pk: int):
    """The estimate: every line that is not cancelled, with its payer and amount, totals by payer, consent box."""
    order = _order(request, pk)
    lines = _lines(order, Consent.ESTIMATE, Consent.APPROVED, Consent.PENDING)
    totals = order_totals(lines)
    return _render(
        request,
        "service/print_estimate.html",
        order,
        _("Estimate"),
        lines=lines,
        totals=totals,
        payer_totals=_payer_totals(totals),
        consents=list(order.consents.select_related("recorded_by__employee").order_by("id")),
    )


@login_required
def print_settlement(request, pk: int):
    """The settlement statement: the consented lines only, totals by payer, what the customer pays and how."""
    order = _order(request, pk)
    lines = _lines(order, Consent.APPROVED)
    totals = order_totals(lines)
    payments = list(
        Payment.objects.filter(order=order).select_related("received_by__employee").order_by("id"),
    )
    cashiers = _names(payment.received_by for payment in payments)
    return _render(
        request,
        "service/print_settlement.html",
        order,
        _("Settlement statement"),
        lines=lines,
        totals=totals,
        payer_totals=_payer_totals(totals),
        payments=payments,
        paid=sum((payment.amount for payment in payments), Decimal("0.00")),
        cashiers=cashiers,
    )


@login_required
def print_release_pass(request, pk: int):
    """The release pass the gate lets the asset out against; none before the order is delivered (404)."""
    order = _order(request, pk)
    try:
        release_pass = ReleasePass.objects.select_related("issued_by__employee").get(order=order)
    except ReleasePass.DoesNotExist as exc:
        raise Http404(_("This order has no release pass yet.")) from exc
    return _render(request, "service/print_release_pass.html", order, _("Release pass"), release_pass=release_pass)


@login_required
def print_acceptance(request, pk: int):
    """The installation acceptance form: the self-check items, pass or fail, and the customer's sign-off."""
    order = _order(request, pk)
    if order.type != OrderType.INSTALLATION:
        raise Http404(_("Only installation orders have an acceptance form."))
    lines = _lines(order, Consent.ESTIMATE, Consent.APPROVED)
    return _render(
        request,
        "service/print_acceptance.html",
        order,
        _("Installation acceptance form"),
        items=ACCEPTANCE_ITEMS,
        installers=_names(line.technician for line in lines if line.kind == LineKind.LABOUR),
    )


urlpatterns = [
    path("orders/<int:pk>/print/job-card/", print_job_card, name="print_job_card"),
    path("orders/<int:pk>/print/estimate/", print_estimate, name="print_estimate"),
    path("orders/<int:pk>/print/settlement/", print_settlement, name="print_settlement"),
    path("orders/<int:pk>/print/release-pass/", print_release_pass, name="print_release_pass"),
    path("orders/<int:pk>/print/acceptance/", print_acceptance, name="print_acceptance"),
]
