"""Pages: service orders — the list (live search, filters, sort), reception (接待: opening an order), and the order
page: its header, lines and totals by payer, the steps the user may take now (drawn from the transition table),
the print links and the timeline. Posts from the order page (a step, a line added or cancelled, a comeback) go
through one service each; invalid input comes back beside its form on the order page, a state that forbids the
step comes back as an error toast, and the user stays on the order.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list, submit
from aftersales.core.pagination import positive_int
from aftersales.core.templatetags.ui import yuan
from aftersales.customers.models import Customer
from aftersales.customers.selectors import customer_list, customers_with_assets
from aftersales.service import selectors
from aftersales.service.actions import (
    ACTION_STYLES,
    actions_for,
    line_cancellable,
    line_dispatchable,
    over_consented_total,
)
from aftersales.service.choices import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    ConsentMethod,
    LineKind,
    OrderStatus,
    OrderType,
    PauseReason,
    Payer,
    PaymentMethod,
)
from aftersales.service.forms import (
    ACTION_FORMS,
    AcceptanceForm,
    ActionForm,
    ComebackForm,
    LabourLineForm,
    LineCancelForm,
    PartLineForm,
    ReceptionForm,
    person_name,
    technicians_for,
)
from aftersales.service.forms_appointments import advisors_for, booking_branches
from aftersales.service.models import Appointment, ServiceOrder
from aftersales.service.services import appointments as appointment_services
from aftersales.service.services import installation
from aftersales.service.services import lines as line_services
from aftersales.service.services import orders as order_services
from aftersales.service.services.common import branch_settings
from aftersales.service.services.lines import DEFAULT_PAYER
from aftersales.service.services.orders import COMEBACK_DAYS
from aftersales.service.totals import order_totals

VIEW = "service.view_serviceorder"
ADD = "service.add_serviceorder"
CHANGE = "service.change_serviceorder"
OPEN = "open"  # the list's status filter for every status before settlement but cancelled
SEARCH_RESULTS = 20
PREVIOUS_ORDERS = 5
NOT_LATE = (OrderStatus.DELIVERED, OrderStatus.CANCELLED)
LINE_FORMS = {LineKind.LABOUR: LabourLineForm, LineKind.PART: PartLineForm}

#: What the timeline calls the events that are not steps of the transition table.
EVENT_LABELS = {
    "create": gettext_lazy("Order opened"),
    "line_added": gettext_lazy("Line added"),
    "line_cancelled": gettext_lazy("Line cancelled"),
    "job_start": gettext_lazy("Job started"),
    "job_pause": gettext_lazy("Job paused"),
    "job_finish": gettext_lazy("Job finished"),
    "status": gettext_lazy("Status moved with the jobs"),
    "comeback": gettext_lazy("Marked as a comeback"),
    "acceptance": gettext_lazy("Customer acceptance recorded"),
    "photo_added": gettext_lazy("Photo added"),
    "photo_removed": gettext_lazy("Photo removed"),
    "corrected": gettext_lazy("Corrected by a new order"),
}
QC = "service.qc_serviceorder"


def _order(request, pk) -> ServiceOrder:
    """The order with what its page shows: 404 if the user may not see it, then 403 without the view permission."""
    order = selectors.order_detail(user=request.user, pk=pk)
    require_perm(request.user, VIEW)
    return order


def _is_late(order, now) -> bool:
    return bool(order.promised_at and order.promised_at < now and order.status not in NOT_LATE)


# -- the list -------------------------------------------------------------------------------------------------------------


def _list_filters(request) -> dict:
    get = request.GET
    status = get.get("status", "")
    statuses = list(OPEN_STATUSES) if status == OPEN else [s for s in status.split(",") if s in OrderStatus.values]
    return {
        "q": get.get("q", "").strip(),
        "status": statuses,
        "type": get.get("type", "") if get.get("type") in OrderType.values else "",
        "branch": positive_int(get.get("branch"), None),
        "advisor": positive_int(get.get("advisor"), None),
        "sort": get.get("sort", ""),
    }


def _mark_late(orders) -> None:
    now = timezone.now()
    for order in orders:
        order.late = _is_late(order, now)


@perm_required(VIEW)
def order_list(request):
    queryset = selectors.order_list(user=request.user, **_list_filters(request)).select_related("advisor__employee")
    context = {
        "statuses": [(OPEN, _("Open")), *OrderStatus.choices],
        "types": OrderType.choices,
        # lazy: the live search's partial answer draws no filter bar and runs neither query
        "branches": booking_branches(request.user).only("pk", "code", "name"),
        "advisors": advisors_for(request.user),
    }
    return render_list(
        request, "service/order_list.html", "service/_order_table.html", queryset, context, after_page=_mark_late
    )


# -- reception ------------------------------------------------------------------------------------------------------------


@perm_required(ADD)
def order_create(request):
    """Step 1 (no `customer`): find the customer by name, mobile or plate. Step 2: the reception form.
    `?customer=&asset=` (from a customer's or an asset's page) goes straight to step 2."""
    source = request.POST if request.method == "POST" else request.GET
    customer_id = positive_int(source.get("customer"), 0)
    customer = get_for_user_or_404(Customer, request.user, pk=customer_id) if customer_id else None
    q = request.GET.get("q", "").strip()
    context = {"q": q, "customer": customer, "title": _("Reception: new service order")}
    if customer is None:
        results = customers_with_assets(list(customer_list(user=request.user, q=q)[:SEARCH_RESULTS])) if q else []
        context["results"] = results
        if getattr(request, "htmx", False) and not request.htmx.boosted:
            return render(request, "service/_order_customer_results.html", context)
        return render(request, "service/order_create.html", context)
    initial = {}
    if request.GET.get("type") in OrderType.values:
        initial["type"] = request.GET["type"]
    asset_id = positive_int(request.GET.get("asset"), 0)
    form = ReceptionForm(request.POST or None, user=request.user, customer=customer, initial=initial)
    assets = list(form.fields["asset"].queryset)
    if asset_id and any(asset.pk == asset_id for asset in assets):
        form.initial["asset"] = asset_id
    elif len(assets) == 1:
        form.initial["asset"] = assets[0].pk
    appointment = _appointment_arriving(request, source, customer)
    context["appointment"] = appointment
    order = submit(
        request,
        form,
        lambda data: _open_order(request.user, form, appointment),
        success=_("The customer has arrived: service order opened.") if appointment else _("Service order opened."),
    )
    if order:
        return redirect(order.get_absolute_url())
    context["form"] = form
    return render(request, "service/order_create.html", context)


def _appointment_arriving(request, source, customer):
    """The booked appointment this reception answers (`?appointment=`), or None."""
    appointment_id = positive_int(source.get("appointment"), 0)
    if not appointment_id or customer is None:
        return None
    appointment = get_for_user_or_404(Appointment, request.user, pk=appointment_id)
    return appointment if appointment.customer_id == customer.pk else None


def _open_order(user, form, appointment):
    """Open the order; for an appointment, through its arrival, which opens the order with the appointment's
    branch, customer, asset and type, adds what was asked for to the concerns, and marks it arrived."""
    kwargs = form.service_kwargs()
    if appointment is None:
        return order_services.order_create(actor=user, **kwargs)
    for key in ("branch", "customer", "asset", "type"):
        kwargs.pop(key, None)
    return appointment_services.appointment_arrive(actor=user, appointment=appointment, **kwargs)


# -- the order page -------------------------------------------------------------------------------------------------------


def _action_form(action: str, order, lines, totals, data=None, technicians=()):
    """The form of a step, bound to `data` when posted. Steps without input get an empty form (its errors)."""
    form_class = ACTION_FORMS.get(action, ActionForm)
    kwargs = {"action": action}
    if action == "dispatch":
        kwargs.update(jobs=[line for line in lines if line_dispatchable(line)], technicians=technicians)
    elif action == "qc_fail":
        kwargs["jobs"] = [line for line in lines if line.kind == LineKind.LABOUR and line.consent == "approved"]
    elif action == "settle":
        kwargs["payable"] = totals.customer_payable
    elif action == "approve":
        kwargs["initial"] = {"by": order.customer.name}
    return form_class(data, **kwargs)


def _comeback_candidates(user, order) -> list[ServiceOrder]:
    """Delivered orders of the same asset this order may come back for (within the comeback window)."""
    if not order.asset_id or order.comeback_of_id or order.status == OrderStatus.CANCELLED:
        return []
    since = order.created_at - datetime.timedelta(days=COMEBACK_DAYS)
    return list(
        selectors.order_list(user=user, asset=order.asset_id, status=OrderStatus.DELIVERED)
        .filter(delivered_at__gte=since, delivered_at__lte=order.created_at)
        .exclude(pk=order.pk)[:20]
    )


def _technicians(order) -> list:
    """Who the order's jobs may go to: the branch's technicians; for an installation with a team, its members."""
    people = technicians_for(order.branch)
    if order.type == OrderType.INSTALLATION and order.team_id:
        team = order.team
        people = [user for user in people if installation.team_member(user, team)]
    return people


def _acceptance_form_shown(user, order) -> bool:
    """The acceptance is recorded on an installation in quality check, by who may pass or fail the check."""
    return order.type == OrderType.INSTALLATION and order.status == OrderStatus.QUALITY_CHECK and user.has_perm(QC)


def _acceptance(order) -> dict | None:
    """The recorded acceptance as the page shows it: each item's result, who signed, how, when, recorded by whom."""
    record = order.acceptance if isinstance(order.acceptance, dict) else {}
    if not record:
        return None
    at = record.get("at")
    try:
        at = datetime.datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        at = None
    events = [event for event in order.events.all() if event.action == installation.ACCEPTANCE_EVENT]
    recorder = events[-1].actor if events else None
    return {
        "rows": installation.acceptance_rows(record),
        "passed": not installation.failed_items(record),
        "signed_by": record.get("signed_by", ""),
        "method": _label(ConsentMethod, record.get("method", "")),
        "at": at,
        "by": person_name(recorder) if recorder else "",
        "notes": record.get("notes", ""),
    }


def _walkaround(order) -> list[dict]:
    record = order.walkaround if isinstance(order.walkaround, dict) else {}
    return [
        {"area": item.get("area", ""), "damage": item.get("damage", "")}
        for item in record.get("items") or []
        if isinstance(item, dict) and (item.get("area") or item.get("damage"))
    ]


def _page(request, order: ServiceOrder, *, bound: dict | None = None):
    """The order page; `bound` holds the posted forms that came back with errors, by their key."""
    bound = bound or {}
    user = request.user
    lines = list(order.lines.all())
    live = [line for line in lines if line.consent != "cancelled"]
    totals = order_totals(lines)
    margin = None
    if over_consented_total(order, live):  # only then does the branch's margin matter (one query)
        margin = branch_settings(order.branch).over_estimate_margin
    names = actions_for(user, order, lines, margin=margin)
    technicians = _technicians(order) if "dispatch" in names else []
    panel = []
    for name in names:
        form = bound.get(name) or _action_form(name, order, lines, totals, technicians=technicians)
        style = ACTION_STYLES[name]
        panel.append(
            {
                "name": name,
                "label": TRANSITIONS[name].label,
                "form": form,
                "has_fields": bool(form.fields),
                "confirm": style.confirm,
                "style": style.style,
                "open": name in bound,
            }
        )
    can_edit = user.has_perm(CHANGE) and order.status in EDITABLE_STATUSES
    payer = DEFAULT_PAYER.get(order.type, Payer.CUSTOMER)
    line_forms = {}
    if can_edit:
        line_forms = {
            kind: bound.get(f"line_{kind}") or form_class(payer=payer) for kind, form_class in LINE_FORMS.items()
        }
    previous = []
    if order.asset_id:
        previous = list(selectors.order_list(user=user, asset=order.asset_id).exclude(pk=order.pk)[:PREVIOUS_ORDERS])
    comeback_form = bound.get("comeback")
    if comeback_form is None and user.has_perm(CHANGE):
        candidates = _comeback_candidates(user, order)
        if candidates:
            comeback_form = ComebackForm(candidates=candidates)
    for line in lines:
        line.cancellable = can_edit and line_cancellable(line)
    context = {
        "order": order,
        "lines": lines,
        "totals": totals,
        # the customer's share always, the other payers' when they pay something
        "payer_totals": [
            (label, totals.by_payer[value])
            for value, label in Payer.choices
            if totals.by_payer[value] or value == Payer.CUSTOMER
        ],
        "late": _is_late(order, timezone.now()),
        "walkaround": _walkaround(order),
        "actions": panel,
        "can_edit": can_edit,
        "line_forms": line_forms,
        "previous_orders": previous,
        "comeback_form": comeback_form,
        "timeline": _timeline(order, lines, technicians),
        "release_pass": getattr(order, "release_pass", None) if order.status == OrderStatus.DELIVERED else None,
        "acceptance": _acceptance(order) if order.type == OrderType.INSTALLATION else None,
        "acceptance_form": bound.get("acceptance")
        or (
            AcceptanceForm(initial={"signed_by": order.customer.name}) if _acceptance_form_shown(user, order) else None
        ),
    }
    return render(request, "service/order_detail.html", context)


@login_required
def order_detail(request, pk):
    return _page(request, _order(request, pk))


@require_POST
@login_required
def order_action(request, pk, action):
    """One step of the order (the buttons of the order page), with its form's input."""
    order = _order(request, pk)
    if action not in TRANSITIONS:
        raise Http404
    lines = list(order.lines.all())
    technicians = _technicians(order) if action == "dispatch" else []
    form = _action_form(action, order, lines, order_totals(lines), data=request.POST, technicians=technicians)
    if not form.is_valid():
        return _page(request, order, bound={action: form})
    try:
        moved = order_services.order_act(actor=request.user, order=order, action=action, data=form.data_for_service())
    except ValidationError as exc:
        apply_form_errors(form, exc, field_map=form.field_map)
        return _page(request, order, bound={action: form})
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect(order.get_absolute_url())
    messages.success(
        request,
        _("%(action)s: done. The order is %(status)s.")
        % {"action": TRANSITIONS[action].label, "status": moved.get_status_display()},
    )
    return redirect(order.get_absolute_url())


@require_POST
@login_required
def order_acceptance(request, pk):
    """Record the customer's acceptance (验收) of an installation in quality check."""
    order = _order(request, pk)
    require_perm(request.user, QC)
    form = AcceptanceForm(request.POST)
    if form.is_valid():
        try:
            installation.order_acceptance_record(actor=request.user, order=order, **form.data_for_service())
        except ValidationError as exc:
            apply_form_errors(form, exc, field_map=form.field_map)
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect(order.get_absolute_url())
        else:
            order.refresh_from_db(fields=["acceptance"])
            if installation.failed_items(order.acceptance):
                messages.warning(request, _("Acceptance recorded: some items failed. Send the work back for rework."))
            else:
                messages.success(request, _("Acceptance recorded: every item passed."))
            return redirect(f"{order.get_absolute_url()}#acceptance")
    return _page(request, order, bound={"acceptance": form})


@require_POST
@login_required
def order_line_add(request, pk, kind):
    order = _order(request, pk)
    if kind not in LINE_FORMS:
        raise Http404
    require_perm(request.user, CHANGE)
    form = LINE_FORMS[kind](request.POST, payer=DEFAULT_PAYER.get(order.type, Payer.CUSTOMER))
    if form.is_valid():
        try:
            line = line_services.line_add(actor=request.user, order=order, **form.service_kwargs())
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect(order.get_absolute_url())
        else:
            if line.consent == "pending":
                messages.warning(request, _("Line added: it awaits the customer's consent."))
            else:
                messages.success(request, _("Line added."))
            return redirect(f"{order.get_absolute_url()}#lines")
    return _page(request, order, bound={f"line_{kind}": form})


@require_POST
@login_required
def order_line_cancel(request, pk, line_pk):
    order = _order(request, pk)
    line = selectors.line_detail(user=request.user, pk=line_pk)
    if line.order_id != order.pk:
        raise Http404
    require_perm(request.user, CHANGE)
    form = LineCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        line_services.line_cancel(actor=request.user, line=line, reason=reason)
    except (ValidationError, Conflict) as exc:
        messages.error(request, str(exc.message) if isinstance(exc, Conflict) else " ".join(exc.messages))
    else:
        messages.success(request, _("Line “%(line)s” cancelled.") % {"line": line.name})
    return redirect(f"{order.get_absolute_url()}#lines")


@require_POST
@login_required
def order_comeback(request, pk):
    """Mark the order a comeback (返修) of an earlier delivered order of the same asset."""
    order = _order(request, pk)
    require_perm(request.user, CHANGE)
    form = ComebackForm(request.POST, candidates=_comeback_candidates(request.user, order))
    if form.is_valid():
        first = form.first_order()
        try:
            order_services.order_mark_comeback(actor=request.user, order=order, first=first)
        except ValidationError as exc:
            apply_form_errors(form, exc, field_map={"comeback_of": "first"})
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect(order.get_absolute_url())
        else:
            messages.success(request, _("Marked as a comeback of %(number)s.") % {"number": first.number})
            return redirect(order.get_absolute_url())
    return _page(request, order, bound={"comeback": form})


# -- the timeline ---------------------------------------------------------------------------------------------------------


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _timeline(order, lines, technicians=()) -> list[dict]:
    """The order's events, oldest first: when, who, what, from which status to which, and the key facts."""
    line_names = {line.pk: line.name for line in lines}
    people = {user.pk: person_name(user) for user in technicians}
    people.update({line.technician.pk: person_name(line.technician) for line in lines if line.technician})
    entries = []
    for event in order.events.all():
        if event.actor is not None:
            people.setdefault(event.actor.pk, person_name(event.actor))
        entries.append(
            {
                "event": event,
                "actor": people.get(event.actor_id, "") if event.actor_id else "",
                "label": TRANSITIONS[event.action].label
                if event.action in TRANSITIONS
                else EVENT_LABELS.get(event.action, event.action),
                "from": _label(OrderStatus, event.from_status) if event.from_status else "",
                "to": _label(OrderStatus, event.to_status) if event.to_status else "",
                "facts": _facts(event, line_names, people),
            }
        )
    return entries


def _facts(event, line_names: dict, people: dict) -> list[tuple[str, str]]:
    """The payload's facts people read (consent, payments, reasons, the release pass …) as (label, text)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    action = event.action
    facts: list[tuple[str, str]] = []

    def line_name(pk) -> str:
        return line_names.get(pk) or f"#{pk}"

    def person(pk) -> str:
        return people.get(pk) or f"#{pk}"

    def add(label, value) -> None:
        if value not in (None, "", []):
            facts.append((str(label), str(value)))

    if action == "create":
        add(_("Type"), _label(OrderType, payload.get("type", "")))
        add(_("Installation team"), payload.get("team"))
    elif action == installation.ACCEPTANCE_EVENT:
        add(_("Signed by"), payload.get("signed_by"))
        failed = payload.get("failed")
        if isinstance(failed, list):
            labels = installation.CHECK_LABELS
            add(
                _("Result"),
                _("failed: %(items)s") % {"items": "、".join(str(labels.get(code, code)) for code in failed)}
                if failed
                else _("every item passed"),
            )
    elif action in ("line_added", "line_cancelled"):
        add(_("Item"), payload.get("name"))
        add(_("Payer"), _label(Payer, payload.get("payer", "")))
        add(_("Amount"), yuan(payload.get("amount")))
        if action == "line_added" and payload.get("consent") == "pending":
            add(_("Consent"), _("awaiting the customer's consent"))
        add(_("Reason given"), payload.get("reason"))
        return facts
    elif action.startswith("job_"):
        add(_("Job"), line_name(payload.get("line")))
        if action == "job_pause":
            add(_("Reason given"), _label(PauseReason, payload.get("reason", "")))
        check = payload.get("self_check") or {}
        if isinstance(check, dict):
            add(_("Self-check notes"), check.get("notes"))
        return facts
    if "method" in payload:
        add(_("How"), _label(ConsentMethod, payload["method"]))
    add(_("Who consented"), payload.get("by"))
    if action == "approve":
        add(_("Customer total consented"), yuan(payload.get("total")))
    if action == "submit_estimate":
        add(_("Estimate total"), yuan(payload.get("total")))
    add(_("Customer pays"), yuan(payload.get("customer_payable")))
    if payload.get("assignments"):
        add(
            _("Assignments"),
            "、".join(
                f"{line_name(a.get('line'))} → {person(a.get('technician'))}"
                for a in payload["assignments"]
                if isinstance(a, dict)
            ),
        )
    if payload.get("lines") and isinstance(payload["lines"], list):
        add(_("Lines"), "、".join(line_name(pk) for pk in payload["lines"]))
    add(_("Reason given"), payload.get("reason"))
    add(_("Notes"), payload.get("notes"))
    if payload.get("payments"):
        add(
            _("Payments"),
            "、".join(
                f"{_label(PaymentMethod, p.get('method', ''))} {yuan(p.get('amount'))}"
                for p in payload["payments"]
                if isinstance(p, dict)
            ),
        )
    add(_("Release pass"), payload.get("release_pass"))
    add(_("Report"), payload.get("report"))
    add(_("Comeback of"), payload.get("of"))
    if payload.get("returned"):
        add(_("Parts returned to stock"), "、".join(line_name(pk) for pk in payload["returned"]))
    if payload.get("released"):
        add(_("Reservations released"), "、".join(line_name(pk) for pk in payload["released"]))
    return facts


urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/new/", order_create, name="order_create"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
    path("orders/<int:pk>/actions/<str:action>/", order_action, name="order_action"),
    path("orders/<int:pk>/lines/new/<str:kind>/", order_line_add, name="order_line_add"),
    path("orders/<int:pk>/lines/<int:line_pk>/cancel/", order_line_cancel, name="order_line_cancel"),
    path("orders/<int:pk>/comeback/", order_comeback, name="order_comeback"),
    path("orders/<int:pk>/acceptance/", order_acceptance, name="order_acceptance"),
]
