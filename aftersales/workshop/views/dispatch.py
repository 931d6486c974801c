"""Pages: the dispatcher's day plan (排班派工) — a timeline per technician and the plan that fills it.

- `dispatch_day` shows one branch's day as it stands: every technician of the roster on a row, their shift drawn,
  breaks shaded, the day's planned jobs (`JobSlot`s) on it. A fixed number of queries however many slots.
- `dispatch_plan_page` asks `services.dispatch.dispatch_plan` for a proposal (it writes nothing) and shows it on the
  same timeline (kept jobs grey, proposed ones coloured) above a table where each row's technician, bay and start
  can be changed, the jobs nobody can do with the reason, and per row a disclosure of suggestions (an htmx partial,
  `job_suggestions`).
- `dispatch_apply_page` sends the table's rows to `services.dispatch.dispatch_apply` (all rows or none) and comes
  back to the day with a toast, or shows the rows again as they were sent with each error beside its row and field.

The timeline's geometry (left and width of each block as a percentage of the day's window, whole hours around the
shifts and jobs) is computed here; the page draws it with CSS only.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.core.errors import Conflict
from aftersales.core.pages import perm_required
from aftersales.org.choices import UMBRELLA_KINDS
from aftersales.org.models import Branch
from aftersales.service import selectors as service_selectors
from aftersales.service.choices import LineKind
from aftersales.service.models import ServiceOrderLine
from aftersales.workshop import planner
from aftersales.workshop import selectors as workshop_selectors
from aftersales.workshop.models import Bay, JobSlot
from aftersales.workshop.services import dispatch, suggestions
from aftersales.workshop.services.calendar import day_origin, minute_of, to_minutes, to_moment
from aftersales.workshop.services.roster import RosterEntry, roster

DISPATCH = "service.dispatch_serviceorder"
DAY_MINUTES = 24 * 60
DEFAULT_WINDOW = (8 * 60, 18 * 60)
MAX_ROWS = 500  # more rows than any branch plans in a day: a bigger post is not a plan


# -- the request's filters -------------------------------------------------------------------------------------------


@dataclass
class Filters:
    branch: Branch | None
    branches: list[Branch]
    day: datetime.date
    replan: bool
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def day_text(self) -> str:
        return self.day.isoformat()

    @property
    def other_errors(self) -> list[str]:
        """Errors not about the date field (shown above the page)."""
        return [message for key, message in self.errors.items() if key != "date"]

    def query(self, **extra) -> str:
        params = {"date": self.day.isoformat(), **({"branch": self.branch.pk} if self.branch else {})}
        if self.replan:
            params["replan"] = "1"
        return urlencode({**params, **extra})


def branch_param(value) -> int | None:
    """A branch id from a query or form value; None when empty, 404 when not a number."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def workshop_branches(user) -> list[Branch]:
    """The active stores and workshops the user sees (regions and the head office have no workshop)."""
    return list(Branch.objects.for_user(user).filter(active=True).exclude(kind__in=UMBRELLA_KINDS).order_by("code"))


def page_branch(user, branch_id, branches: list[Branch]) -> Branch | None:
    """The branch asked for (404 unless the user sees it), else the user's own, else the first of `branches`."""
    try:
        return workshop_selectors.branch_for(user=user, branch_id=branch_id)
    except ValidationError:
        return branches[0] if branches else None


def parse_filters(request, data) -> Filters:
    """Branch, date (today by default; an unreadable date is an error beside the field) and the re-plan box."""
    branches = workshop_branches(request.user)
    branch = page_branch(request.user, branch_param(data.get("branch")), branches)
    errors = {}
    raw = (data.get("date") or "").strip()
    try:
        day = parse_date(raw) if raw else timezone.localdate()
    except ValueError:
        day = None
    if day is None:
        errors["date"] = _("Enter a valid date.")
        day = timezone.localdate()
    return Filters(branch, branches, day, data.get("replan") in ("1", "on", "true"), errors)


# -- the timeline ----------------------------------------------------------------------------------------------------


@dataclass
class Block:
    """One stretch on a technician's row: `shift`, `break`, `kept` (planned and staying), `proposed`, or `planned`
    (applied), in minutes from the day's midnight."""

    kind: str
    start: int
    end: int
    label: str = ""
    detail: str = ""
    status: str = ""
    left: str = "0"
    width: str = "0"

    @property
    def times(self) -> str:
        return f"{hm(self.start)}–{hm(self.end)}"


@dataclass
class Lane:
    name: str
    skills: str
    hours: str
    working: bool
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Timeline:
    start: int
    end: int
    ticks: list[tuple[str, str]]
    lanes: list[Lane]


def hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def skills_text(skills: dict[str, int]) -> str:
    return " ".join(f"{skill}{level}" for skill, level in skills.items())


def lane_of(entry: RosterEntry) -> Lane:
    """A technician's row: their shift and breaks that day, or an empty row marked off."""
    lane = Lane(entry.employee.name, skills_text(entry.skills), "", entry.hours is not None)
    if entry.hours is not None:
        start, end, breaks = entry.hours.minutes()
        lane.hours = f"{hm(start)}–{hm(end)}"
        lane.blocks.append(Block("shift", start, end))
        lane.blocks.extend(Block("break", a, b, label=_("Break")) for a, b in breaks)
    return lane


def job_label(line: ServiceOrderLine) -> str:
    plate = line.order.asset.plate if line.order.asset_id else ""
    return f"{line.order.number} {plate}".strip()


def _clipped(start: int, end: int) -> tuple[int, int]:
    start = min(max(start, 0), DAY_MINUTES)
    return start, min(max(end, start + 1), DAY_MINUTES)


def job_block(kind: str, line: ServiceOrderLine, start, end, origin) -> Block:
    """A job's block from its aware start and end."""
    first, last = _clipped(to_minutes(start, origin), math.ceil((end - origin).total_seconds() / 60))
    return Block(kind, first, last, label=job_label(line), detail=line.name, status=line.job_status)


def laid_out(lanes: list[Lane]) -> Timeline:
    """Place every block: the window is whole hours around all shifts and jobs (08:00–18:00 when there are none)."""
    spans = [(b.start, b.end) for lane in lanes for b in lane.blocks]
    start = min((a for a, _b in spans), default=DEFAULT_WINDOW[0]) // 60 * 60
    end = math.ceil(max((b for _a, b in spans), default=DEFAULT_WINDOW[1]) / 60) * 60
    end = max(end, start + 60)
    length = end - start
    for lane in lanes:
        for block in lane.blocks:
            block.left = f"{(block.start - start) * 100 / length:.3f}"
            block.width = f"{(block.end - block.start) * 100 / length:.3f}"
    ticks = [(f"{(hour * 60 - start) * 100 / length:.3f}", f"{hour:02d}:00") for hour in range(start // 60, end // 60)]
    return Timeline(start, end, ticks, lanes)


class Lanes:
    """The roster's rows, found by user (a line's technician) or employee (a plan's technician); a job whose
    technician is not on the roster (left, or off the list) gets a row of its own."""

    def __init__(self, entries: list[RosterEntry]):
        self.rows = [lane_of(entry) for entry in entries]
        self.by_user = {entry.user_id: lane for entry, lane in zip(entries, self.rows, strict=True)}
        self.by_employee = {entry.employee.pk: lane for entry, lane in zip(entries, self.rows, strict=True)}

    def for_user(self, user) -> Lane:
        lane = self.by_user.get(user.pk)
        if lane is None:
            employee = getattr(user, "employee", None)
            lane = Lane(employee.name if employee else user.get_username(), "", "", False)
            self.by_user[user.pk] = lane
            self.rows.append(lane)
        return lane


def day_slots(*, user, branch, day: datetime.date) -> list[JobSlot]:
    """The branch's planned jobs overlapping `day`, through the funnel, with what their blocks name. One query."""
    origin = day_origin(day)
    return list(
        JobSlot.objects.for_user(user)
        .filter(line__order__branch=branch, start__lt=to_moment(DAY_MINUTES, origin), end__gt=origin)
        .select_related("line__order__asset", "line__technician__employee", "bay")
        .order_by("start", "pk")
    )


def day_timeline(entries: list[RosterEntry], slots: list[JobSlot], day: datetime.date, *, kind="planned") -> Timeline:
    """The roster's rows with the day's slots on them."""
    origin = day_origin(day)
    lanes = Lanes(entries)
    for slot in slots:
        if slot.line.technician_id is None:
            continue
        lanes.for_user(slot.line.technician).blocks.append(job_block(kind, slot.line, slot.start, slot.end, origin))
    return laid_out(lanes.rows)


# -- the proposal ----------------------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    """One row of the plan's table: the job, the chosen technician (employee id), bay and start, and its errors."""

    index: int
    line: ServiceOrderLine
    technician: int | None
    bay: int | None
    start: datetime.datetime | None
    end: datetime.datetime | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def start_text(self) -> str:
        return timezone.localtime(self.start).strftime("%H:%M") if self.start else ""

    @property
    def end_text(self) -> str:
        return timezone.localtime(self.end).strftime("%H:%M") if self.end else ""


@dataclass
class Choice:
    value: int
    label: str


def technician_choices(entries: list[RosterEntry]) -> list[Choice]:
    """Each technician with their skills (and marked off when they don't work that day)."""
    choices = []
    for entry in entries:
        label = entry.employee.name
        if entry.skills:
            label += f" ({skills_text(entry.skills)})"
        if entry.hours is None:
            label += " · " + _("off")
        choices.append(Choice(entry.employee.pk, label))
    return choices


def bay_choices(bays) -> list[Choice]:
    return [
        Choice(bay.pk, f"{bay.code} {bay.name}" + (f" ({'、'.join(bay.kinds)})" if bay.kinds else "")) for bay in bays
    ]


def proposal_timeline(entries, kept_slots, rows: list[PlanRow], day) -> Timeline:
    """The roster with the jobs that stay (grey) and the rows of the plan (coloured)."""
    origin = day_origin(day)
    lanes = Lanes(entries)
    for slot in kept_slots:
        if slot.line.technician_id is not None:
            lanes.for_user(slot.line.technician).blocks.append(
                job_block("kept", slot.line, slot.start, slot.end, origin)
            )
    for row in rows:
        lane = lanes.by_employee.get(row.technician)
        if lane is not None and row.start and row.end:
            lane.blocks.append(job_block("proposed", row.line, row.start, row.end, origin))
    return laid_out(lanes.rows)


def proposed_rows(proposed: dispatch.ProposedPlan) -> list[PlanRow]:
    return [
        PlanRow(index, row["line_record"], row["technician"], row["bay"], row["start"], row["end"])
        for index, row in enumerate(proposed.assignments())
    ]


def proposal_context(request, filters: Filters, *, rows, entries, bays, unassigned, errors=()) -> dict:
    planned = {row.line.pk for row in rows}
    slots = day_slots(user=request.user, branch=filters.branch, day=filters.day)
    kept = [slot for slot in slots if slot.line_id not in planned]
    return {
        **page_context(filters),
        "proposal": True,
        "timeline": proposal_timeline(entries, kept, rows, filters.day),
        "rows": rows,
        "technicians": technician_choices(entries),
        "bays": bay_choices(bays),
        "unassigned": unassigned,
        "errors": list(errors),
    }


def page_context(filters: Filters) -> dict:
    return {
        "filters": filters,
        "branch": filters.branch,
        "day": filters.day,
        "today": timezone.localdate(),
        "previous_day": filters.day - datetime.timedelta(days=1),
        "next_day": filters.day + datetime.timedelta(days=1),
    }


# -- the pages -------------------------------------------------------------------------------------------------------


def _render_day(request, filters: Filters):
    context = page_context(filters)
    if filters.branch is not None:
        entries = roster(branch=filters.branch, day=filters.day, now=timezone.now())
        slots = day_slots(user=request.user, branch=filters.branch, day=filters.day)
        context["timeline"] = day_timeline(entries, slots, filters.day)
        context["slot_count"] = len(slots)
    return render(request, "workshop/dispatch.html", context)


@perm_required(DISPATCH)
@require_GET
def dispatch_day(request):
    return _render_day(request, parse_filters(request, request.GET))


@perm_required(DISPATCH)
def dispatch_plan_page(request):
    """The proposed plan of the day (GET or POST with date, branch, replan); writes nothing."""
    data = request.POST if request.method == "POST" else request.GET
    filters = parse_filters(request, data)
    if filters.errors or filters.branch is None:
        return _render_day(request, filters)
    try:
        proposed = dispatch.dispatch_plan(
            actor=request.user, branch=filters.branch, day=filters.day, replan=filters.replan
        )
    except ValidationError as exc:
        filters.errors.update(_flat_errors(exc))
        return _render_day(request, filters)
    context = proposal_context(
        request,
        filters,
        rows=proposed_rows(proposed),
        entries=list(proposed.day.entries.values()),
        bays=list(proposed.day.bay_records.values()),
        unassigned=proposed.unassigned(),
    )
    return render(request, "workshop/dispatch.html", context)


def _flat_errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {key: " ".join(messages_) for key, messages_ in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


def _moment(day: datetime.date, value) -> datetime.datetime | None:
    """A time of day typed in the table, as an aware datetime on `day` (None when unreadable)."""
    try:
        moment = parse_time((value or "").strip())
    except ValueError:
        moment = None
    return to_moment(minute_of(moment), day_origin(day)) if moment else None


def posted_assignments(data, day: datetime.date) -> list[dict]:
    """The rows of the posted table as `dispatch_apply` takes them: line, technician (employee id), bay, start."""
    try:
        count = min(max(int(data.get("rows", 0)), 0), MAX_ROWS)
    except (TypeError, ValueError):
        count = 0
    rows = []
    for index in range(count):
        prefix = f"assignments-{index}-"
        rows.append(
            {
                "line": data.get(prefix + "line"),
                "technician": data.get(prefix + "technician"),
                "bay": data.get(prefix + "bay") or None,
                "start": _moment(day, data.get(prefix + "start")),
            }
        )
    return rows


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def submitted_rows(user, assignments: list[dict], entries: dict[int, RosterEntry], day) -> list[PlanRow]:
    """The posted rows again, as the table shows them; the end follows from the job's hours and the chosen
    technician's breaks (rows naming no job the user may see are left out)."""
    ids = [pk for pk in (_int(a["line"]) for a in assignments) if pk is not None]
    lines = (
        ServiceOrderLine.objects.for_user(user).filter(kind=LineKind.LABOUR).select_related("order__asset").in_bulk(ids)
    )
    origin = day_origin(day)
    rows = []
    for index, row in enumerate(assignments):
        line = lines.get(_int(row["line"]))
        if line is None:
            continue
        technician, start = _int(row["technician"]), row["start"]
        end = None
        if start is not None:
            entry = entries.get(technician)
            breaks = entry.hours.minutes()[2] if entry and entry.hours else []
            begin = to_minutes(start, origin)
            end = to_moment(planner.finish_time(begin, dispatch.job_minutes(line), breaks), origin)
        rows.append(PlanRow(index, line, technician, _int(row["bay"]), start, end))
    return rows


def _with_errors(rows: list[PlanRow], errors: dict[str, str]) -> list[str]:
    """Put each `assignments.<i>.<field>` error on its row; return the others."""
    by_index = {row.index: row for row in rows}
    general = []
    for key, message in errors.items():
        parts = key.split(".")
        row = by_index.get(_int(parts[1])) if len(parts) == 3 and parts[0] == "assignments" else None
        if row is not None:
            row.errors[parts[2]] = message
        else:
            general.append(message)
    return general


def _day_of(user, filters: Filters, now) -> tuple[dict[int, RosterEntry], list, list[dict]]:
    """The roster, the active bays and the jobs nobody can do, for showing a refused plan again."""
    try:
        proposed = dispatch.dispatch_plan(
            actor=user, branch=filters.branch, day=filters.day, replan=filters.replan, now=now
        )
    except ValidationError:
        entries = {e.employee.pk: e for e in roster(branch=filters.branch, day=filters.day, now=now)}
        bays = list(Bay.objects.filter(branch=filters.branch, active=True).order_by("code"))
        return entries, bays, []
    return proposed.day.entries, list(proposed.day.bay_records.values()), proposed.unassigned()


@perm_required(DISPATCH)
@require_POST
def dispatch_apply_page(request):
    """Apply the table's rows; a refusal shows them again with the errors beside their rows and fields."""
    filters = parse_filters(request, request.POST)
    if filters.branch is None:
        raise Http404
    assignments = posted_assignments(request.POST, filters.day)
    try:
        slots = dispatch.dispatch_apply(
            actor=request.user, assignments=assignments, branch=filters.branch, day=filters.day
        )
    except (ValidationError, Conflict) as exc:
        errors = _flat_errors(exc) if isinstance(exc, ValidationError) else {"__all__": str(exc.message)}
        return _refused(request, filters, assignments, errors)
    messages.success(request, _("Plan applied. Jobs planned: %(count)s.") % {"count": len(slots)})
    return redirect(f"{reverse('workshop:dispatch')}?{filters.query()}")


def _refused(request, filters: Filters, assignments: list[dict], errors: dict[str, str]):
    entries, bays, unassigned = _day_of(request.user, filters, timezone.now())
    rows = submitted_rows(request.user, assignments, entries, filters.day)
    general = _with_errors(rows, errors)
    planned = {row.line.pk for row in rows}
    context = proposal_context(
        request,
        filters,
        rows=rows,
        entries=list(entries.values()),
        bays=bays,
        unassigned=[u for u in unassigned if u["line"] not in planned],
        errors=general,
    )
    return render(request, "workshop/dispatch.html", context)


@perm_required(DISPATCH)
@require_GET
def job_suggestions_partial(request, line_id: int):
    """Who should do this job: every technician of its branch ranked, with score and reason (an htmx partial; a
    page of its own without htmx)."""
    line = service_selectors.line_detail(user=request.user, pk=line_id)
    if line.kind != LineKind.LABOUR:
        raise Http404
    raw = request.GET.get("date", "")
    try:
        day = parse_date(raw) if raw else None
    except ValueError:
        day = None
    context = {"line": line, "suggestions": suggestions.job_suggestions(line=line, day=day)}
    if getattr(request, "htmx", False):
        return render(request, "workshop/_dispatch_suggestions.html", context)
    return render(request, "workshop/dispatch_suggestions.html", context)


urlpatterns = [
    path("dispatch/", dispatch_day, name="dispatch"),
    path("dispatch/plan/", dispatch_plan_page, name="dispatch_plan"),
    path("dispatch/apply/", dispatch_apply_page, name="dispatch_apply"),
    path("dispatch/jobs/<int:line_id>/suggestions/", job_suggestions_partial, name="job_suggestions"),
]
