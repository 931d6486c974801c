"""Pages: the branch's technicians today (skills, shift, load, open jobs) and one technician's page — their skills
editor, their own shift or the branch's, their days off, this month's productivity and the history of these changes.

Each form posts to its own address; a valid post runs one `workshop.services.setup` service and comes back to the
technician's page with a toast; an invalid one shows that page again with the errors beside the fields and saves
nothing. Another branch's employee, or an employee who does not work jobs, is a 404.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_history
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, submit
from aftersales.org.models import Employee
from aftersales.workshop.forms import WEEKDAYS, DayOffForm, ShiftForm, SkillsForm
from aftersales.workshop.models import DayOff
from aftersales.workshop.services import setup
from aftersales.workshop.services.calendar import day_origin
from aftersales.workshop.services.clock import hours, productivity
from aftersales.workshop.services.roster import branch_default_hours, roster, technicians_of
from aftersales.workshop.views.setup import page_branch

VIEW = "workshop.view_technicianskill"
CHANGE_SKILLS = "workshop.change_technicianskill"
CHANGE_SHIFT = "workshop.change_technicianshift"
ADD_DAY_OFF = "workshop.add_dayoff"
CHANGE_DAY_OFF = "workshop.change_dayoff"
#: What the employee's history shows here: the workshop's own changes, not their other records.
WORKSHOP_CHANGES = ("skills", "shift", "day_off")


@perm_required(VIEW)
def technician_list(request):
    """Today's roster of the branch. A fixed number of queries whatever the number of technicians."""
    branch, branches = page_branch(request)
    now = timezone.now()
    entries = roster(branch=branch, day=timezone.localdate(now), now=now)
    for entry in entries:
        entry.load_hours = hours(entry.load_minutes * 60)
        entry.skill_tags = [f"{name} {level}" for name, level in entry.skills.items()]
    context = {"branch": branch, "branches": branches, "entries": entries, "today": timezone.localdate(now)}
    return render(request, "workshop/technician_list.html", context)


def _technician(request, employee_id: int) -> Employee:
    """The employee through the funnel (404 when another branch's), and only if they work jobs (else 404 too)."""
    employee = get_for_user_or_404(
        Employee.objects.select_related("branch", "user", "shift"), request.user, pk=employee_id
    )
    if not technicians_of(employee.branch).filter(pk=employee.pk).exists():
        raise Http404
    return employee


def _skills(employee) -> dict[str, int]:
    return dict(employee.skills.order_by("skill").values_list("skill", "level"))


def _shift_initial(employee) -> dict:
    shift = getattr(employee, "shift", None)
    hours_ = shift or branch_default_hours(employee.branch)
    if shift is None:
        return {
            "start": hours_.start,
            "end": hours_.end,
            "break_start": hours_.break_start,
            "break_end": hours_.break_end,
        }
    return {
        "start": shift.start,
        "end": shift.end,
        "break_start": shift.break_start,
        "break_end": shift.break_end,
        "weekly_off": list(shift.weekly_off or []),
    }


def _month_productivity(employee):
    today = timezone.localdate()
    figures = productivity(
        technician_ids=[employee.user_id],
        since=day_origin(today.replace(day=1)),
        until=day_origin(today + datetime.timedelta(days=1)),
    )
    return figures[employee.user_id]


def _history(employee):
    entries = audit_history(
        employee,
        extra_fields={
            "skills": (_("Skills"), _skills_text),
            "shift": (_("Own shift"), lambda value: value),
            "day_off": (_("Day off"), lambda value: value),
        },
    )
    return [e for e in entries if any(key in (e.event.changes or {}) for key in WORKSHOP_CHANGES)]


def _skills_text(value) -> str | None:
    if not value:
        return None
    return "、".join(f"{name} {level}" for name, level in value.items())


def _detail(request, employee, *, skills_form=None, shift_form=None, day_off_form=None, status: int = 200):
    current = _skills(employee)
    shift = getattr(employee, "shift", None)
    weekdays = dict(WEEKDAYS)
    figures = _month_productivity(employee)
    context = {
        "employee": employee,
        "skills": current,
        "shift": shift,
        "days_off_weekly": [weekdays[d] for d in (shift.weekly_off or [])] if shift else [],
        "default_hours": branch_default_hours(employee.branch),
        "skills_form": skills_form or SkillsForm(current=current),
        "shift_form": shift_form or ShiftForm(initial=_shift_initial(employee)),
        "day_off_form": day_off_form or DayOffForm(),
        "days_off": list(DayOff.objects.filter(employee=employee, date__gte=timezone.localdate()).order_by("date")),
        "productivity": figures,
        "percent": None if figures.ratio is None else (figures.ratio * 100).quantize(Decimal("1"), ROUND_HALF_UP),
        "history": _history(employee),
    }
    return render(request, "workshop/technician_detail.html", context, status=status)


@perm_required(VIEW)
def technician_detail(request, employee_id: int):
    return _detail(request, _technician(request, employee_id))


def _back(employee):
    return redirect("workshop:technician_detail", employee.pk)


@require_POST
@login_required
def technician_skills(request, employee_id: int):
    employee = _technician(request, employee_id)
    require_perm(request.user, CHANGE_SKILLS)
    form = SkillsForm(request.POST, current=_skills(employee))
    if form.is_valid():
        try:
            setup.technician_skills_set(actor=request.user, employee=employee, skills=form.skills())
        except ValidationError as exc:
            fields = {key: form.field_for(key) for key in getattr(exc, "error_dict", {})}
            apply_form_errors(form, exc, field_map={k: v for k, v in fields.items() if v})
        else:
            messages.success(request, _("The skills of %(name)s are saved.") % {"name": employee.name})
            return _back(employee)
    return _detail(request, employee, skills_form=form)


@require_POST
@login_required
def technician_shift(request, employee_id: int):
    employee = _technician(request, employee_id)
    require_perm(request.user, CHANGE_SHIFT)
    form = ShiftForm(request.POST)
    saved = submit(
        request,
        form,
        lambda data: setup.technician_shift_set(actor=request.user, employee=employee, **data),
        success=_("The shift of %(name)s is saved.") % {"name": employee.name},
    )
    return _back(employee) if saved else _detail(request, employee, shift_form=form)


@require_POST
@login_required
def technician_shift_clear(request, employee_id: int):
    employee = _technician(request, employee_id)
    require_perm(request.user, CHANGE_SHIFT)
    setup.technician_shift_clear(actor=request.user, employee=employee)
    messages.success(request, _("%(name)s works the branch's default shift.") % {"name": employee.name})
    return _back(employee)


@require_POST
@login_required
def technician_day_off_add(request, employee_id: int):
    employee = _technician(request, employee_id)
    require_perm(request.user, ADD_DAY_OFF)
    form = DayOffForm(request.POST)
    saved = submit(
        request,
        form,
        lambda data: setup.day_off_add(actor=request.user, employee=employee, **data),
        success=_("Day off added."),
    )
    return _back(employee) if saved else _detail(request, employee, day_off_form=form)


@require_POST
@login_required
def technician_day_off_remove(request, employee_id: int, pk: int):
    employee = _technician(request, employee_id)
    day_off = DayOff.objects.filter(employee=employee, pk=pk).first()
    if day_off is None:
        raise Http404
    require_perm(request.user, CHANGE_DAY_OFF)
    setup.day_off_remove(actor=request.user, day_off=day_off)
    messages.success(request, _("Day off removed."))
    return _back(employee)


urlpatterns = [
    path("technicians/", technician_list, name="technician_list"),
    path("technicians/<int:employee_id>/", technician_detail, name="technician_detail"),
    path("technicians/<int:employee_id>/skills/", technician_skills, name="technician_skills"),
    path("technicians/<int:employee_id>/shift/", technician_shift, name="technician_shift"),
    path("technicians/<int:employee_id>/shift/clear/", technician_shift_clear, name="technician_shift_clear"),
    path("technicians/<int:employee_id>/days-off/", technician_day_off_add, name="technician_day_off_add"),
    path(
        "technicians/<int:employee_id>/days-off/<int:pk>/remove/",
        technician_day_off_remove,
        name="technician_day_off_remove",
    ),
]
