"""API of pay: policies, manual inputs, pay runs and payslips.

Amounts are decimal strings. A policy whose sheet cannot be read answers 422 with `fields.sheet` naming the line
and the problem; a run that cannot compute someone answers 409 `pay_run_failed` with `fields` listing each
employee (by id) and the reasons, and saves nothing. An employee reads their own payslips and nobody else's.
"""

from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from aftersales.core.access import get_for_user_or_404
from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.org.models import Branch, Employee, Position
from aftersales.pay.choices import PeriodKind
from aftersales.pay.models import PayPolicy, PayRun, Payslip
from aftersales.pay.services import inputs as input_services
from aftersales.pay.services import policies as policy_services
from aftersales.pay.services import runs as run_services

router = Router(tags=["pay"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
KindIn = Literal["monthly", "annual"]
RunAction = Literal["compute", "approve", "reopen", "lock", "cancel"]


# --------------------------------------------------------------------------------------------- policies


class BindingIn(Schema):
    source: Literal["metric", "appraisal", "manual", "constant"]
    key: str | None = None
    value: str | Decimal | None = None


class PolicyIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    position: int | str  # the position's id or its code
    sheet: str
    total: str = Field(..., max_length=60)
    bindings: dict[str, BindingIn] = {}
    kind: KindIn = "monthly"
    active: bool = True


class PolicyPatch(Schema):
    name: str | None = Field(None, max_length=100)
    sheet: str | None = None
    total: str | None = Field(None, max_length=60)
    bindings: dict[str, BindingIn] | None = None
    active: bool | None = None


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    position: int
    kind: str
    sheet: str
    total: str
    bindings: dict[str, dict[str, Any]]
    inputs: list[str]
    lines: list[str]
    active: bool


def policy_out(policy: PayPolicy) -> dict:
    sheet = policy_services.sheet_parse(policy.sheet)
    return {
        "id": policy.pk,
        "code": policy.code,
        "name": policy.name,
        "position": policy.position_id,
        "kind": policy.kind,
        "sheet": policy.sheet,
        "total": policy.total,
        "bindings": policy.bindings,
        "inputs": sorted(sheet.inputs),
        "lines": list(sheet.names),
        "active": policy.active,
    }


def _bindings(given: dict[str, BindingIn] | None) -> dict | None:
    if given is None:
        return None
    return {name: binding.dict(exclude_none=True) for name, binding in given.items()}


@router.get("/pay/policies", response={200: ListOut[PolicyOut], **ERRORS})
def policy_list(request, position: int | None = None, page: int = 1, page_size: int = 50):
    require_api_perm(request, "pay.view_paypolicy")
    queryset = PayPolicy.objects.for_user(request.user).order_by("code")
    if position is not None:
        queryset = queryset.filter(position_id=position)
    return api_page(queryset, page=page, page_size=min(page_size, 200), serialize=policy_out)


@router.post("/pay/policies", response={201: PolicyOut, **ERRORS})
def policy_create(request, payload: PolicyIn):
    require_api_perm(request, "pay.add_paypolicy")
    lookup = {"pk": payload.position} if str(payload.position).isdigit() else {"code": payload.position}
    position = Position.objects.filter(**lookup).first()
    if position is None:
        raise ValidationError({"position": _("No position with id %(id)s.") % {"id": payload.position}})
    policy = policy_services.policy_create(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        position=position,
        sheet=payload.sheet,
        total=payload.total,
        bindings=_bindings(payload.bindings),
        kind=payload.kind,
        active=payload.active,
    )
    return Status(201, policy_out(policy))


@router.get("/pay/policies/{policy_id}", response={200: PolicyOut, **ERRORS})
def policy_get(request, policy_id: int):
    require_api_perm(request, "pay.view_paypolicy")
    return policy_out(get_for_user_or_404(PayPolicy, request.user, pk=policy_id))


@router.patch("/pay/policies/{policy_id}", response={200: PolicyOut, **ERRORS})
def policy_update(request, policy_id: int, payload: PolicyPatch):
    require_api_perm(request, "pay.change_paypolicy")
    policy = get_for_user_or_404(PayPolicy, request.user, pk=policy_id)
    changes = payload.dict(exclude_unset=True)
    if "bindings" in changes:
        changes["bindings"] = _bindings(payload.bindings) or {}
    policy = policy_services.policy_update(actor=request.user, policy=policy, **changes)
    return policy_out(policy)


# ----------------------------------------------------------------------------------------------- inputs


class InputsIn(Schema):
    employee: int
    month: str
    values: dict[str, str | Decimal]
    note: str = Field("", max_length=200)


class InputsOut(Schema):
    employee: int
    month: str
    values: dict[str, str]


@router.put("/pay/inputs", response={200: InputsOut, **ERRORS})
def inputs_set(request, payload: InputsIn):
    require_api_perm(request, "pay.change_payinput")
    employee = resolve(Employee.objects, request.user, payload.employee, "employee")
    input_services.pay_inputs_set(
        actor=request.user, employee=employee, month=payload.month, values=payload.values, note=payload.note
    )
    month = input_services.month_parse(payload.month)
    rows = employee.pay_inputs.filter(month=month).order_by("name")
    return {"employee": employee.pk, "month": f"{month:%Y-%m}", "values": {row.name: str(row.value) for row in rows}}


@router.get("/pay/inputs", response={200: InputsOut, **ERRORS})
def inputs_get(request, employee: int, month: str):
    require_api_perm(request, "pay.view_payinput")
    person = get_for_user_or_404(Employee, request.user, pk=employee)
    start = input_services.month_parse(month)
    rows = person.pay_inputs.filter(month=start).order_by("name")
    return {"employee": person.pk, "month": f"{start:%Y-%m}", "values": {row.name: str(row.value) for row in rows}}


# ------------------------------------------------------------------------------------------------- runs


class RunIn(Schema):
    """`{"branch", "month": "2026-11"}` for a month; `{"branch", "year": "2026"}` (or `"kind": "annual"` with the
    year as `month` or `period`) for the year-end run."""

    branch: int
    month: str | None = None
    year: str | int | None = None
    period: str | None = None
    kind: KindIn | None = None


class PayslipBrief(Schema):
    id: int
    employee: int
    employee_no: str
    name: str
    position: str
    lines: dict[str, str]
    total: Decimal


class RunOut(Schema):
    id: int
    number: str
    branch: int
    kind: str
    period: str
    status: str
    version: int
    employee_count: int
    total: Decimal
    skipped: list[dict[str, Any]]
    computed_at: Any = None
    approved_at: Any = None
    locked_at: Any = None
    payslips: list[PayslipBrief] = []


def _lines_map(payslip: Payslip) -> dict[str, str]:
    return {line["name"]: line["value"] for line in payslip.lines if line["kind"] in ("line", "adjustment")}


def payslip_brief(payslip: Payslip) -> dict:
    return {
        "id": payslip.pk,
        "employee": payslip.employee_id,
        "employee_no": payslip.employee.employee_no,
        "name": payslip.employee.name,
        "position": payslip.position,
        "lines": _lines_map(payslip),
        "total": payslip.total,
    }


def run_out(run: PayRun, *, with_payslips: bool = True) -> dict:
    data = {
        "id": run.pk,
        "number": run.number,
        "branch": run.branch_id,
        "kind": run.kind,
        "period": run.period,
        "status": run.status,
        "version": run.version,
        "employee_count": run.employee_count,
        "total": run.total,
        "skipped": run.skipped,
        "computed_at": run.computed_at,
        "approved_at": run.approved_at,
        "locked_at": run.locked_at,
        "payslips": [],
    }
    if with_payslips:
        payslips = run.payslips.filter(version=run.version).select_related("employee").order_by("employee__employee_no")
        data["payslips"] = [payslip_brief(p) for p in payslips]
    return data


def _run_period(payload: RunIn) -> tuple[str, str]:
    month = payload.month or payload.period
    kind = payload.kind or (PeriodKind.ANNUAL if payload.year is not None and month is None else "monthly")
    if kind == PeriodKind.MONTHLY and payload.kind is None and month and len(str(month)) == 4:
        kind = PeriodKind.ANNUAL  # "2026": a year
    period = month if kind == PeriodKind.MONTHLY else (payload.year or month)
    if period is None:
        field = "month" if kind == PeriodKind.MONTHLY else "year"
        raise ValidationError({field: _("This field is required.")})
    return kind, str(period)


@router.post("/pay/runs", response={201: RunOut, **ERRORS})
def run_create(request, payload: RunIn):
    require_api_perm(request, "pay.add_payrun")
    branch = resolve(Branch.objects, request.user, payload.branch, "branch")
    kind, period = _run_period(payload)
    run = run_services.pay_run_create(actor=request.user, branch=branch, period=period, kind=kind)
    return Status(201, run_out(run))


@router.get("/pay/runs", response={200: ListOut[RunOut], **ERRORS})
def run_list(
    request,
    branch: int | None = None,
    status: str | None = None,
    period: str | None = None,
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "pay.view_payrun")
    queryset = PayRun.objects.for_user(request.user).order_by("-period_start", "-id")
    if branch is not None:
        queryset = queryset.filter(branch_id=branch)
    if status:
        queryset = queryset.filter(status=status)
    if period:
        queryset = queryset.filter(period=period)
    return api_page(
        queryset, page=page, page_size=min(page_size, 200), serialize=lambda run: run_out(run, with_payslips=False)
    )


@router.get("/pay/runs/{run_id}", response={200: RunOut, **ERRORS})
def run_get(request, run_id: int):
    run = get_for_user_or_404(PayRun, request.user, pk=run_id)
    require_api_perm(request, "pay.view_payrun")
    return run_out(run)


@router.post("/pay/runs/{run_id}/actions/{action}", response={200: RunOut, **ERRORS})
def run_action(request, run_id: int, action: RunAction):
    run = get_for_user_or_404(PayRun, request.user, pk=run_id)
    require_api_perm(request, "pay.view_payrun")
    run = run_services.pay_run_act(actor=request.user, run=run, action=action)
    return run_out(run)


# --------------------------------------------------------------------------------------------- payslips


class PayslipOut(PayslipBrief):
    run: int
    run_number: str
    period: str
    kind: str
    status: str
    details: list[dict[str, Any]]


def payslip_out(payslip: Payslip) -> dict:
    run = payslip.run
    return {
        **payslip_brief(payslip),
        "run": run.pk,
        "run_number": run.number,
        "period": run.period,
        "kind": run.kind,
        "status": run.status,
        "details": payslip.lines,
    }


@router.get("/pay/payslips", response={200: ListOut[PayslipOut], **ERRORS})
def payslip_list(request, mine: bool = False, run: int | None = None, page: int = 1, page_size: int = 50):
    """Payslips the user may read: their own, and the branch's for those whose role reads pay runs."""
    queryset = (
        Payslip.objects.for_user(request.user)
        .filter(version=F("run__version"))
        .exclude(run__status="cancelled")
        .select_related("run", "employee")
        .order_by("-run__period_start", "employee__employee_no")
    )
    if mine:
        queryset = queryset.filter(employee__user=request.user)
    if run is not None:
        queryset = queryset.filter(run_id=run)
    return api_page(queryset, page=page, page_size=min(page_size, 200), serialize=payslip_out)


@router.get("/pay/payslips/{payslip_id}", response={200: PayslipOut, **ERRORS})
def payslip_get(request, payslip_id: int):
    queryset = Payslip.objects.select_related("run", "employee")
    return payslip_out(get_for_user_or_404(queryset, request.user, pk=payslip_id))
