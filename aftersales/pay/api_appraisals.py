"""API of appraisals (考核): open one (with the manager's score directly, or from a form), move it through
self-assessment → manager's score → HR's confirmation, and read them.

Everyone reads their own appraisals; `pay.view_appraisal` reads the branch's. A confirmed appraisal is locked:
every step on it answers 409 `appraisal_locked`. Scores are decimal strings.
"""

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator

from aftersales.core.api import ErrorOut, ListOut, api_page, resolve
from aftersales.pay.models import Appraisal, AppraisalForm
from aftersales.pay.services import appraisals as services

router = Router(tags=["appraisals"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
IdFilter = Annotated[int | None, BeforeValidator(lambda value: None if value == "" else value)]
KindIn = Literal["monthly", "annual"]
ActionName = Literal["self_assess", "review", "confirm", "return"]


class AppraisalBrief(Schema):
    id: int
    employee: int
    employee_name: str
    employee_no: str
    period: str
    kind: str
    status: str
    score: Decimal | None
    self_score: Decimal | None


class AppraisalOut(AppraisalBrief):
    form: int | None
    items: list[dict[str, Any]]
    self_comment: str
    manager_comment: str
    reviewed_by: int | None
    reviewed_at: datetime.datetime | None
    confirmed_by: int | None
    confirmed_at: datetime.datetime | None
    created_at: datetime.datetime
    actions: list[str]


def _brief(appraisal: Appraisal) -> dict:
    return {
        "id": appraisal.pk,
        "employee": appraisal.employee_id,
        "employee_name": appraisal.employee.name,
        "employee_no": appraisal.employee.employee_no,
        "period": appraisal.period,
        "kind": appraisal.kind,
        "status": appraisal.status,
        "score": appraisal.score,
        "self_score": appraisal.self_score,
    }


def appraisal_out(appraisal: Appraisal, user) -> dict:
    return {
        **_brief(appraisal),
        "form": appraisal.form_id,
        "items": appraisal.items,
        "self_comment": appraisal.self_comment,
        "manager_comment": appraisal.manager_comment,
        "reviewed_by": appraisal.reviewed_by_id,
        "reviewed_at": appraisal.reviewed_at,
        "confirmed_by": appraisal.confirmed_by_id,
        "confirmed_at": appraisal.confirmed_at,
        "created_at": appraisal.created_at,
        "actions": services.appraisal_actions(user=user, appraisal=appraisal),
    }


def _detail(request, pk: int) -> dict:
    return appraisal_out(services.appraisal_get(user=request.user, pk=pk), request.user)


class AppraisalIn(Schema):
    employee: int
    period: str = Field(max_length=7)
    kind: KindIn = "monthly"
    score: Decimal | None = None  # the manager's score as a whole: the appraisal starts `reviewed`
    form: int | None = None  # or a form to score item by item (default: the position's form)


@router.get("/appraisals", response={200: ListOut[AppraisalBrief], **ERRORS})
def appraisal_list(
    request,
    employee: IdFilter = None,
    period: str = "",
    kind: str = "",
    status: str = "",
    q: str = "",
    page: int = 1,
    page_size: int = 50,
):
    """Your own appraisals, and your branches' with `pay.view_appraisal`."""
    queryset = services.appraisal_list(
        user=request.user, employee=employee, period=period, kind=kind, status=status, q=q
    )
    return api_page(queryset, page=page, page_size=min(max(page_size, 1), 200), serialize=_brief)


@router.post("/appraisals", response={201: AppraisalOut, **ERRORS})
def appraisal_create(request, payload: AppraisalIn):
    form = resolve(AppraisalForm.objects, request.user, payload.form, "form")
    appraisal = services.appraisal_create(
        actor=request.user,
        employee=payload.employee,
        period=payload.period,
        kind=payload.kind,
        form=form,
        score=payload.score,
    )
    return Status(201, _detail(request, appraisal.pk))


@router.get("/appraisals/{appraisal_id}", response={200: AppraisalOut, **ERRORS})
def appraisal_get(request, appraisal_id: int):
    return _detail(request, appraisal_id)


class ActionIn(Schema):
    """The input of each step; each step reads only its own fields."""

    scores: dict[str, Decimal | None] | None = None  # self_assess, review: item number → score
    score: Decimal | None = None  # self_assess, review of an appraisal without items
    comment: str = Field("", max_length=2000)  # self_assess, review
    reason: str = Field("", max_length=500)  # return


@router.post("/appraisals/{appraisal_id}/actions/{action}", response={200: AppraisalOut, **ERRORS})
def appraisal_action(request, appraisal_id: int, action: ActionName, payload: ActionIn | None = None):
    appraisal = services.appraisal_get(user=request.user, pk=appraisal_id)
    data = payload.dict() if payload else {}
    services.appraisal_act(actor=request.user, appraisal=appraisal, action=action, data=data)
    return _detail(request, appraisal_id)
