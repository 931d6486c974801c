"""API of appointments (预约): a branch's day, booking, and the actions reschedule, cancel, no_show and arrive.

`POST /appointments/{id}/actions/arrive` opens the service order (status `reception`) and answers the appointment
with its `order` id. A time is an ISO 8601 datetime; one without an offset is local time (Asia/Shanghai).
"""

import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator

from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.customers.models import Asset, Customer
from aftersales.org.models import Branch, User
from aftersales.service.services import appointments as services

router = Router(tags=["appointments"])

#: An empty filter (`?date=&branch=`) means "any".
IdFilter = Annotated[int | None, BeforeValidator(lambda value: None if value == "" else value)]
DateFilter = Annotated[datetime.date | None, BeforeValidator(lambda value: None if value == "" else value)]
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class AppointmentOut(Schema):
    id: int
    branch: int = Field(alias="branch_id")
    customer: int = Field(alias="customer_id")
    customer_name: str = Field(alias="customer.name")
    asset: int | None = Field(alias="asset_id")
    starts_at: datetime.datetime
    type: str
    request: str
    status: str
    advisor: int | None = Field(alias="advisor_id")
    notes: str
    order: int | None = Field(alias="order_id")
    created_at: datetime.datetime


class AppointmentIn(Schema):
    branch: int
    customer: int
    asset: int | None = None
    starts_at: datetime.datetime
    type: str
    request: str = Field(max_length=200)
    advisor: int | None = None
    notes: str = Field("", max_length=200)


class ActionIn(Schema):
    """The body of an action: `reschedule` {starts_at}, `cancel` {reason}, `no_show` {}, `arrive` {mileage?,
    promised_at?, concerns?}."""

    starts_at: datetime.datetime | None = None
    reason: str = Field("", max_length=200)
    mileage: int | None = Field(None, ge=0)
    promised_at: datetime.datetime | None = None
    concerns: str = ""


@router.get("/appointments", response={200: ListOut[AppointmentOut], **ERRORS})
def appointment_list(
    request, date: DateFilter = None, branch: IdFilter = None, status: str = "", page: int = 1, page_size: int = 50
):
    require_api_perm(request, "service.view_appointment")
    queryset = services.appointment_list(user=request.user, branch=branch, day=date, status=status)
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/appointments", response={201: AppointmentOut, **ERRORS})
def appointment_create(request, payload: AppointmentIn):
    require_api_perm(request, "service.add_appointment")
    appointment = services.appointment_book(
        actor=request.user,
        branch=resolve(Branch.objects, request.user, payload.branch, "branch"),
        customer=resolve(Customer.objects, request.user, payload.customer, "customer"),
        asset=resolve(Asset.objects, request.user, payload.asset, "asset"),
        starts_at=payload.starts_at,
        type=payload.type,
        request=payload.request,
        advisor=_advisor(payload.advisor),
        notes=payload.notes,
    )
    return Status(201, services.appointment_get(user=request.user, pk=appointment.pk))


def _advisor(pk: int | None):
    """An advisor by user id; whether they work for the branch is the service's check (422 `advisor`)."""
    if pk is None:
        return None
    advisor = User.objects.filter(pk=pk, is_active=True).first()
    if advisor is None:
        raise ValidationError({"advisor": _("Choose an advisor who works for this branch.")})
    return advisor


def _reschedule(request, appointment, payload: ActionIn):
    services.appointment_reschedule(actor=request.user, appointment=appointment, starts_at=payload.starts_at)


def _cancel(request, appointment, payload: ActionIn):
    services.appointment_cancel(actor=request.user, appointment=appointment, reason=payload.reason)


def _no_show(request, appointment, payload: ActionIn):
    services.appointment_no_show(actor=request.user, appointment=appointment)


def _arrive(request, appointment, payload: ActionIn):
    fields = payload.dict(include={"mileage", "promised_at", "concerns"})
    services.appointment_arrive(
        actor=request.user, appointment=appointment, **{k: v for k, v in fields.items() if v not in (None, "")}
    )


ACTIONS = {"reschedule": _reschedule, "cancel": _cancel, "no_show": _no_show, "arrive": _arrive}


@router.post("/appointments/{appointment_id}/actions/{action}", response={200: AppointmentOut, **ERRORS})
def appointment_action(request, appointment_id: int, action: str, payload: ActionIn | None = None):
    appointment = services.appointment_get(user=request.user, pk=appointment_id)
    if action not in ACTIONS:
        raise Http404
    require_api_perm(request, "service.change_appointment")
    ACTIONS[action](request, appointment, payload or ActionIn())
    return services.appointment_get(user=request.user, pk=appointment.pk)
