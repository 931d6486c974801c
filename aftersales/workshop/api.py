"""API of the workshop: technicians' skills and the technicians list, suggestions for a job, the day plan and its
application, the board and productivity.

A technician is named by their employee id everywhere here (`technician` in suggestions and plans too). Times are
ISO 8601 with the offset (Asia/Shanghai). A plan's `end` follows from the job's hours and the technician's breaks:
`apply` recomputes it from `start`. Another branch's technician, job or branch is a 404 in the path and a 422 in a
body; a row of a plan that can't apply is a 422 on `assignments.<row>.<field>` (rows from 0), and nothing applies.
"""

import datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema

from aftersales.core.access import get_for_user_or_404
from aftersales.core.api import ErrorOut, require_api_perm
from aftersales.org.models import Employee
from aftersales.service import selectors as service_selectors
from aftersales.workshop import selectors
from aftersales.workshop.services import dispatch, setup, suggestions
from aftersales.workshop.services.calendar import day_origin
from aftersales.workshop.services.clock import hours, productivity
from aftersales.workshop.services.roster import RosterEntry, branch_default_hours, roster, technicians_of

router = Router(tags=["workshop"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
VIEW = "workshop.view_technicianskill"
DISPATCH = "service.dispatch_serviceorder"


class ShiftOut(Schema):
    start: str
    end: str
    break_start: str | None
    break_end: str | None
    own: bool
    weekly_off: list[int]
    working_today: bool


class TechnicianOut(Schema):
    id: int
    employee_no: str
    name: str
    user: int
    branch: int
    skills: dict[str, int]
    shift: ShiftOut
    load: Decimal
    load_minutes: int
    jobs: int


class TechniciansOut(Schema):
    items: list[TechnicianOut]


def _hm(value) -> str | None:
    return value.strftime("%H:%M") if value else None


def technician_out(entry: RosterEntry, default_hours) -> dict:
    shift = getattr(entry.employee, "shift", None)
    hours_ = entry.hours or (default_hours if shift is None else None)
    source = hours_ or shift
    return {
        "id": entry.employee.pk,
        "employee_no": entry.employee.employee_no,
        "name": entry.employee.name,
        "user": entry.employee.user_id,
        "branch": entry.employee.branch_id,
        "skills": entry.skills,
        "shift": {
            "start": _hm(source.start),
            "end": _hm(source.end),
            "break_start": _hm(source.break_start),
            "break_end": _hm(source.break_end),
            "own": shift is not None,
            "weekly_off": list(shift.weekly_off or []) if shift else [],
            "working_today": entry.hours is not None,
        },
        "load": hours(entry.load_minutes * 60),
        "load_minutes": entry.load_minutes,
        "jobs": len(entry.jobs),
    }


@router.get("/technicians", response={200: TechniciansOut, **ERRORS})
def technician_list(request, branch: int | None = None):
    """The branch's technicians with their skills, today's shift (their own or the branch's) and load (standard
    hours not yet clocked of their open jobs)."""
    require_api_perm(request, VIEW)
    branch_ = selectors.branch_for(user=request.user, branch_id=branch)
    now = timezone.now()
    entries = roster(branch=branch_, day=timezone.localdate(now), now=now)
    default = branch_default_hours(branch_)
    return {"items": [technician_out(entry, default) for entry in entries]}


class SkillsIn(Schema):
    skills: dict[str, int]


def _technician(request, employee_id: int) -> Employee:
    employee = get_for_user_or_404(Employee.objects.select_related("branch"), request.user, pk=employee_id)
    if not technicians_of(employee.branch).filter(pk=employee.pk).exists():
        _not_found()
    return employee


def _not_found():
    raise Http404


def _technician_now(employee: Employee) -> dict:
    now = timezone.now()
    entries = roster(branch=employee.branch, day=timezone.localdate(now), now=now)
    entry = next(e for e in entries if e.employee.pk == employee.pk)
    return technician_out(entry, branch_default_hours(employee.branch))


@router.put("/technicians/{employee_id}/skills", response={200: TechnicianOut, **ERRORS})
def technician_skills_put(request, employee_id: int, payload: SkillsIn):
    """Replace the technician's skills: `{"skills": {"机修": 3, "电工": 2}}`, levels 1–5; a category left out is
    removed."""
    employee = _technician(request, employee_id)
    setup.technician_skills_set(actor=request.user, employee=employee, skills=payload.skills)
    return _technician_now(employee)


class ShiftIn(Schema):
    start: datetime.time
    end: datetime.time
    break_start: datetime.time | None = None
    break_end: datetime.time | None = None
    weekly_off: list[int] = Field(default_factory=list)


@router.put("/technicians/{employee_id}/shift", response={200: TechnicianOut, **ERRORS})
def technician_shift_put(request, employee_id: int, payload: ShiftIn):
    """Give the technician their own shift and weekly days off (0 = Monday … 6 = Sunday)."""
    employee = _technician(request, employee_id)
    setup.technician_shift_set(actor=request.user, employee=employee, **payload.dict())
    return _technician_now(employee)


class SuggestionOut(Schema):
    technician: int
    name: str
    score: int
    reason: str
    eligible: bool


class SuggestionsOut(Schema):
    items: list[SuggestionOut]


@router.get("/jobs/{line_id}/suggestions", response={200: SuggestionsOut, **ERRORS})
def job_suggestion_list(request, line_id: int):
    """Technicians for one job, best first: eligibility (skill, level, working today), free time today, load, and
    who worked on this vehicle before, each with a score out of 100 and a one-line reason."""
    line = service_selectors.line_detail(user=request.user, pk=line_id)
    require_api_perm(request, DISPATCH)
    if line.kind != "labour":
        _not_found()
    items = suggestions.job_suggestions(line=line)
    return {
        "items": [
            {
                "technician": s.entry.employee.pk,
                "name": s.entry.employee.name,
                "score": s.score,
                "reason": s.reason,
                "eligible": s.eligible,
            }
            for s in items
        ]
    }


class PlanIn(Schema):
    branch: int | None = None
    date: datetime.date | None = None
    replan: bool = False


class AssignmentOut(Schema):
    line: int
    technician: int
    bay: int | None
    start: datetime.datetime
    end: datetime.datetime


class UnassignedOut(Schema):
    line: int
    reason: str
    code: str


class PlanOut(Schema):
    branch: int
    date: datetime.date
    assignments: list[AssignmentOut]
    unassigned: list[UnassignedOut]


@router.post("/dispatch/plan", response={200: PlanOut, **ERRORS})
def dispatch_plan(request, payload: PlanIn):
    """Propose the day's plan for the branch (today by default): the jobs nobody has yet (with `replan`, also those
    assigned but not started) to eligible technicians and bays within their shifts. Writes nothing."""
    require_api_perm(request, DISPATCH)
    branch = selectors.branch_for(user=request.user, branch_id=payload.branch)
    day = payload.date or timezone.localdate()
    proposed = dispatch.dispatch_plan(actor=request.user, branch=branch, day=day, replan=payload.replan)
    return {
        "branch": branch.pk,
        "date": day,
        "assignments": proposed.assignments(),
        "unassigned": proposed.unassigned(),
    }


class AssignmentIn(Schema):
    line: int
    technician: int
    bay: int | None = None
    start: datetime.datetime
    end: datetime.datetime | None = None


class ApplyIn(Schema):
    branch: int | None = None
    date: datetime.date | None = None
    assignments: list[AssignmentIn]


class AppliedOut(Schema):
    assignments: list[AssignmentOut]


@router.post("/dispatch/plan/apply", response={200: AppliedOut, **ERRORS})
def dispatch_plan_apply(request, payload: ApplyIn):
    """Apply a plan (as proposed, or adjusted): each job to its technician and bay from its start. All or nothing."""
    require_api_perm(request, DISPATCH)
    branch = selectors.branch_for(user=request.user, branch_id=payload.branch) if payload.branch else None
    slots = dispatch.dispatch_apply(
        actor=request.user,
        branch=branch,
        day=payload.date,
        assignments=[row.dict() for row in payload.assignments],
    )
    employees = {e.user_id: e.pk for e in Employee.objects.filter(user_id__in=[s.line.technician_id for s in slots])}
    return {
        "assignments": [
            {
                "line": s.line_id,
                "technician": employees.get(s.line.technician_id),
                "bay": s.bay_id,
                "start": s.start,
                "end": s.end,
            }
            for s in slots
        ]
    }


class BoardRowOut(Schema):
    order: int
    number: str
    plate: str
    type: str
    status: str
    technicians: list[str]
    jobs_done: int
    jobs_total: int
    promised_at: datetime.datetime | None
    expected_at: datetime.datetime | None
    late: bool
    at_risk: bool


class BoardOut(Schema):
    items: list[BoardRowOut]


def board_out(rows) -> dict:
    return {
        "items": [
            {
                "order": r.order.pk,
                "number": r.order.number,
                "plate": r.plate,
                "type": r.order.type,
                "status": r.order.status,
                "technicians": r.technicians,
                "jobs_done": r.jobs_done,
                "jobs_total": r.jobs_total,
                "promised_at": r.order.promised_at,
                "expected_at": r.expected,
                "late": r.late,
                "at_risk": r.at_risk,
            }
            for r in rows
        ]
    }


@router.get("/workshop/board", response={200: BoardOut, **ERRORS})
def board(request, branch: int | None = None):
    """The progress board of a branch: each open order, the earliest promise first, marked late or at risk."""
    require_api_perm(request, "service.view_serviceorder")
    branch_ = selectors.branch_for(user=request.user, branch_id=branch)
    return board_out(selectors.board_rows(branch=branch_))


class ProductivityOut(Schema):
    technician: int
    name: str
    jobs: int
    sold_hours: Decimal
    clocked_hours: Decimal
    productivity: Decimal | None


class ProductivityListOut(Schema):
    items: list[ProductivityOut]


@router.get("/workshop/productivity", response={200: ProductivityListOut, **ERRORS})
def productivity_list(
    request, branch: int | None = None, date_from: datetime.date | None = None, date_to: datetime.date | None = None
):
    """Sold hours (standard hours of the jobs finished) against clocked hours per technician, from `date_from` to
    `date_to` inclusive (this month by default); productivity = sold ÷ clocked."""
    require_api_perm(request, "workshop.view_clockspan")
    branch_ = selectors.branch_for(user=request.user, branch_id=branch)
    today = timezone.localdate()
    date_from = date_from or today.replace(day=1)
    date_to = date_to or today
    employees = list(technicians_of(branch_))
    figures = productivity(
        technician_ids=[e.user_id for e in employees],
        since=day_origin(date_from),
        until=day_origin(date_to + datetime.timedelta(days=1)),
    )
    return {
        "items": [
            {
                "technician": e.pk,
                "name": e.name,
                "jobs": figures[e.user_id].jobs,
                "sold_hours": figures[e.user_id].sold,
                "clocked_hours": figures[e.user_id].clocked,
                "productivity": figures[e.user_id].ratio,
            }
            for e in employees
        ]
    }
