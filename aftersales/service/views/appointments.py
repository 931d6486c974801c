"""Pages: appointments (预约) — a branch's day hour by hour with the free places, booking (customer picked by a
quick search), an appointment's page with reschedule, cancel, no-show and arrival (which opens the service order)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.pages import perm_required, submit
from aftersales.core.pagination import positive_int
from aftersales.customers.models import Customer
from aftersales.customers.selectors import customer_list, customers_with_assets
from aftersales.org.models import Branch
from aftersales.service.forms_appointments import (
    AppointmentForm,
    ArriveForm,
    CancelForm,
    RescheduleForm,
    booking_branches,
)
from aftersales.service.models import AppointmentStatus
from aftersales.service.services import appointments as services

SEARCH_RESULTS = 20


def _url(name: str, appointment) -> str:
    return reverse(f"service:{name}", args=[appointment.pk])


def _day_of(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()


def _branch_of(request, branches) -> Branch | None:
    """The branch asked for (404 unless it is one the user may book into), else the user's own, else the first."""
    by_pk = {branch.pk: branch for branch in branches}
    asked = positive_int(request.GET.get("branch"), 0)
    if asked:
        if asked not in by_pk:
            raise Http404
        return by_pk[asked]
    own = getattr(getattr(request.user, "employee", None), "branch_id", None)
    return by_pk.get(own) or (branches[0] if branches else None)


def _day_link(branch: Branch | None, day: datetime.date) -> str:
    query = {"date": day.isoformat(), **({"branch": branch.pk} if branch else {})}
    return f"{reverse('service:appointment_day')}?{urlencode(query)}"


@perm_required("service.view_appointment")
def appointment_day(request):
    branches = list(booking_branches(request.user).only("pk", "code", "name"))
    branch = _branch_of(request, branches)
    day = _day_of(request.GET.get("date"))
    slots = services.appointment_day(user=request.user, branch=branch, day=day) if branch else []
    now = timezone.now()
    context = {
        "branches": branches,
        "branch": branch,
        "day": day,
        "today": timezone.localdate(),
        "slots": slots,
        "now": now,
        "previous_url": _day_link(branch, day - datetime.timedelta(days=1)),
        "next_url": _day_link(branch, day + datetime.timedelta(days=1)),
        "today_url": _day_link(branch, timezone.localdate()),
        "booked": sum(1 for slot in slots for a in slot.appointments if a.status in services.HOLDING),
        "capacity": slots[0].capacity if slots else 0,
    }
    return render(request, "service/appointment_day.html", context)


def _create_query(request, **changes) -> str:
    params = {key: request.GET[key] for key in ("branch", "date", "time", "q") if request.GET.get(key)}
    params.update({key: value for key, value in changes.items() if value is not None})
    return urlencode(params)


@perm_required("service.add_appointment")
def appointment_create(request):
    """Step 1 (no `customer`): find the customer by name, mobile or plate. Step 2: the booking form."""
    source = request.POST if request.method == "POST" else request.GET
    customer_id = positive_int(source.get("customer"), 0)
    customer = get_for_user_or_404(Customer, request.user, pk=customer_id) if customer_id else None
    q = request.GET.get("q", "").strip()
    context = {"q": q, "customer": customer, "title": _("Book an appointment")}
    if customer is None:
        results = []
        if q:
            results = customers_with_assets(list(customer_list(user=request.user, q=q)[:SEARCH_RESULTS]))
        context["choices"] = [(c, _create_query(request, customer=c.pk)) for c in results]
        return render(request, "service/appointment_create.html", context)
    initial = {key: request.GET[key] for key in ("branch", "date", "time") if request.GET.get(key)}
    initial.setdefault("date", timezone.localdate().isoformat())
    form = AppointmentForm(request.POST or None, user=request.user, customer=customer, initial=initial)
    appointment = submit(
        request,
        form,
        lambda data: services.appointment_book(
            actor=request.user,
            branch=data["branch"],
            customer=customer,
            asset=data["asset"],
            starts_at=data["starts_at"],
            type=data["type"],
            request=data["request"],
            advisor=data["advisor"],
            notes=data["notes"],
        ),
        success=_("Appointment booked."),
        field_map={"starts_at": "time"},
    )
    if appointment:
        return redirect(_url("appointment_detail", appointment))
    context.update({"form": form, "change_url": f"?{_create_query(request, q=q or None)}"})
    return render(request, "service/appointment_create.html", context)


@login_required
def appointment_detail(request, pk):
    appointment = services.appointment_get(user=request.user, pk=pk)
    require_perm(request.user, "service.view_appointment")
    actions = services.appointment_actions(user=request.user, appointment=appointment)
    context = {
        "appointment": appointment,
        "actions": actions,
        "arrive_form": AppointmentStatus.ARRIVED in actions,
        "cancel_form": CancelForm() if AppointmentStatus.CANCELLED in actions else None,
        "day_url": _day_link(appointment.branch, timezone.localdate(appointment.starts_at)),
        "history": audit_history(appointment),
    }
    return render(request, "service/appointment_detail.html", context)


def _changeable(request, pk):
    appointment = services.appointment_get(user=request.user, pk=pk)
    require_perm(request.user, "service.change_appointment")
    return appointment


@login_required
def appointment_reschedule(request, pk):
    appointment = _changeable(request, pk)
    local = timezone.localtime(appointment.starts_at)
    form = RescheduleForm(request.POST or None, initial={"date": local.date(), "time": local.strftime("%H:%M")})
    saved = submit(
        request,
        form,
        lambda data: services.appointment_reschedule(
            actor=request.user, appointment=appointment, starts_at=data["starts_at"]
        ),
        success=_("Appointment moved."),
        field_map={"starts_at": "time"},
    )
    if saved:
        return redirect(_url("appointment_detail", appointment))
    context = {"form": form, "appointment": appointment, "title": _("Move the appointment")}
    return render(request, "service/appointment_reschedule.html", context)


def _act(request, run, success: str):
    """Run one status move; errors come back as a toast on the appointment's page."""
    try:
        result = run()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
        return result
    return None


@require_POST
@login_required
def appointment_cancel(request, pk):
    appointment = _changeable(request, pk)
    reason = request.POST.get("reason", "")
    _act(
        request,
        lambda: services.appointment_cancel(actor=request.user, appointment=appointment, reason=reason),
        _("Appointment cancelled."),
    )
    return redirect(_url("appointment_detail", appointment))


@require_POST
@login_required
def appointment_no_show(request, pk):
    appointment = _changeable(request, pk)
    _act(
        request,
        lambda: services.appointment_no_show(actor=request.user, appointment=appointment),
        _("Marked as a no-show."),
    )
    return redirect(_url("appointment_detail", appointment))


@require_POST
@login_required
def appointment_arrive(request, pk):
    appointment = _changeable(request, pk)
    require_perm(request.user, "service.add_serviceorder")
    form = ArriveForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(_url("appointment_detail", appointment))
    fields = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    order = _act(
        request,
        lambda: services.appointment_arrive(actor=request.user, appointment=appointment, **fields),
        _("The customer has arrived: service order opened."),
    )
    if order is None:
        return redirect(_url("appointment_detail", appointment))
    return redirect(order.get_absolute_url())


urlpatterns = [
    path("appointments/", appointment_day, name="appointment_day"),
    path("appointments/new/", appointment_create, name="appointment_create"),
    path("appointments/<int:pk>/", appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/reschedule/", appointment_reschedule, name="appointment_reschedule"),
    path("appointments/<int:pk>/cancel/", appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/no-show/", appointment_no_show, name="appointment_no_show"),
    path("appointments/<int:pk>/arrive/", appointment_arrive, name="appointment_arrive"),
]
