"""Pay runs (工资核算): compute every payslip of a branch for a month (or a year-end run), approve, lock.

`pay_run_create` makes the run and computes it; `pay_run_compute` recomputes a run that is not yet approved;
`pay_run_act` approves, reopens (approved → computed), locks or cancels, as `choices.RUN_TRANSITIONS` says.

A run computes every active employee of the branch whose position has an active policy for the run's period
kind; the others are listed as skipped. Computing reads everything it needs in a fixed number of queries (the
employees, the policies, each metric, the confirmed appraisals, the manual inputs, the adjustments) whatever the
number of employees, evaluates each employee's policy sheet, and writes the payslips in bulk. If anyone cannot be
computed (a missing score or manual input, a division by zero …), nothing is saved and the 409 lists each
employee with the reason. A recomputation keeps the earlier payslips (`Payslip.version`); after lock nothing
changes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict
from aftersales.core.numbers import document_number_next
from aftersales.org.access import user_sees_branch
from aftersales.org.models import Employee
from aftersales.pay.choices import RUN_TRANSITIONS, AppraisalStatus, InputSource, PeriodKind, RunStatus
from aftersales.pay.formula import FormulaError
from aftersales.pay.metrics import MetricValue, Period, Source, metric_values
from aftersales.pay.models import Appraisal, PayAdjustment, PayInput, PayPolicy, PayRun, Payslip
from aftersales.pay.policy import round_fen
from aftersales.pay.services.policies import sheet_parse

ZERO = Decimal("0")
ADJUSTMENT_LINE = "调整"


class _Person(NamedTuple):
    """An employee as a run reads them (the metrics read `pk`, `user_id`, `team_id`, `branch_id`)."""

    pk: int
    user_id: int | None
    team_id: int | None
    branch_id: int
    position_id: int | None
    employee_no: str
    name: str
    position_name: str | None


class _Slip(NamedTuple):
    employee_id: int
    policy_id: int
    position: str
    lines: list[dict]
    total: Decimal


class PayRunFailed(Conflict):
    """Some employees could not be computed; `fields` maps each employee's id to the reasons."""

    default_code = "pay_run_failed"


@dataclass
class _Inputs:
    """What a run reads once for all employees (plain values: thousands of model objects cost a second)."""

    period: Period
    metrics: dict[str, dict[int, MetricValue]] = field(default_factory=dict)
    scores: dict[tuple[int, str], tuple[int, str, Decimal]] = field(
        default_factory=dict
    )  # → (appraisal, period, score)
    manual: dict[tuple[int, str], tuple[int, Decimal]] = field(default_factory=dict)  # → (input id, value)
    adjustments: dict[int, list[PayAdjustment]] = field(default_factory=lambda: defaultdict(list))


# ----------------------------------------------------------------------------------------------- create


def run_period(*, kind: str, period: str) -> Period:
    from django.core.exceptions import ValidationError

    try:
        return Period.parse(period, kind)
    except (ValueError, TypeError):
        message = _("Enter a month like 2026-11.") if kind == PeriodKind.MONTHLY else _("Enter a year like 2026.")
        raise ValidationError({"month" if kind == PeriodKind.MONTHLY else "year": message}) from None


@transaction.atomic
def pay_run_create(*, actor, branch, period: str, kind: str = PeriodKind.MONTHLY) -> PayRun:
    """Make the branch's run for the period and compute it; if it cannot be computed, nothing is saved."""
    require_perm(actor, "pay.add_payrun")
    if not user_sees_branch(actor, branch.pk):
        raise Http404
    parsed = run_period(kind=kind, period=period)
    if (
        PayRun.objects.filter(branch=branch, kind=kind, period=parsed.label)
        .exclude(status=RunStatus.CANCELLED)
        .exists()
    ):
        raise Conflict(
            _("%(branch)s already has a pay run for %(period)s.") % {"branch": branch, "period": parsed.label},
            code="pay_run_exists",
        )
    run = PayRun.objects.create(
        number=document_number_next(prefix="GZ", branch=branch),
        branch=branch,
        kind=kind,
        period=parsed.label,
        period_start=parsed.start,
        period_end=parsed.end,
        created_by=actor,
    )
    audit_record(actor=actor, instance=run, action="create", payload={"from": "", "to": RunStatus.DRAFT})
    return _compute(run=run, actor=actor)


@transaction.atomic
def pay_run_compute(*, actor, run: PayRun) -> PayRun:
    """Compute (or recompute) a draft or computed run. On failure the run keeps its earlier payslips."""
    run = _locked(run, actor)
    _check_step(run, "compute", actor)
    return _compute(run=run, actor=actor)


@transaction.atomic
def pay_run_act(*, actor, run: PayRun, action: str) -> PayRun:
    """approve (computed → approved), reopen (approved → computed), lock (approved → locked), cancel."""
    if action == "compute":
        return pay_run_compute(actor=actor, run=run)
    if action not in RUN_TRANSITIONS:
        raise Http404
    run = _locked(run, actor)
    step = _check_step(run, action, actor)
    before = run.status
    run.status = step.target
    now = timezone.now()
    fields = ["status", "updated_at"]
    if action == "approve":
        run.approved_by, run.approved_at = actor, now
        fields += ["approved_by", "approved_at"]
    elif action == "lock":
        run.locked_by, run.locked_at = actor, now
        fields += ["locked_by", "locked_at"]
    run.save(update_fields=fields)
    audit_record(actor=actor, instance=run, action=action, payload={"from": before, "to": run.status})
    return run


def run_actions_for(run: PayRun, user) -> list[tuple[str, str]]:
    """The (action, label) buttons a user may press on a run, drawn from the transition table."""
    return [
        (action, str(step.label))
        for action, step in RUN_TRANSITIONS.items()
        if run.status in step.sources and user.has_perm(step.permission)
    ]


def _locked(run: PayRun, actor) -> PayRun:
    locked = PayRun.objects.select_for_update().select_related("branch").get(pk=run.pk)
    if not user_sees_branch(actor, locked.branch_id):
        raise Http404
    return locked


def _check_step(run: PayRun, action: str, actor):
    step = RUN_TRANSITIONS[action]
    require_perm(actor, step.permission)
    if run.status not in step.sources:
        raise Conflict(
            _("A pay run that is %(status)s cannot be %(action)s.")
            % {"status": RunStatus(run.status).label, "action": step.label},
            code="wrong_status",
        )
    return step


# ---------------------------------------------------------------------------------------------- compute


def _compute(*, run: PayRun, actor) -> PayRun:
    period = Period.parse(run.period, run.kind)
    employees, policies = _employees_and_policies(run)
    paid = [e for e in employees if e.position_id in policies]
    inputs = _read_inputs(run, period, paid, policies)
    payslips = _payslips_compute(paid, policies, inputs)
    version = run.version + 1
    _payslips_insert(run, version, payslips)
    before = run.status
    run.version = version
    run.status = RunStatus.COMPUTED
    run.employee_count = len(payslips)
    run.total = sum((p.total for p in payslips), ZERO)
    run.skipped = _skipped(employees, policies)
    run.computed_at = timezone.now()
    run.save(update_fields=["version", "status", "employee_count", "total", "skipped", "computed_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=run,
        action="compute",
        payload={"from": before, "to": run.status, "payslips": len(payslips), "total": str(run.total)},
    )
    return run


def _employees_and_policies(run: PayRun) -> tuple[list[_Person], dict[int, PayPolicy]]:
    """The branch's active employees (two queries in all) and the active policy of each position among them."""
    employees = [
        _Person(*row)
        for row in Employee.objects.filter(branch=run.branch, active=True)
        .order_by("employee_no")
        .values_list("pk", "user_id", "team_id", "branch_id", "position_id", "employee_no", "name", "position__name")
    ]
    positions = {e.position_id for e in employees if e.position_id}
    policies = {
        policy.position_id: policy
        for policy in PayPolicy.objects.filter(active=True, kind=run.kind, position_id__in=positions)
    }
    return employees, policies


def _skipped(employees: list[_Person], policies: dict[int, PayPolicy]) -> list[dict]:
    """The employees a run does not pay, each with the reason."""
    return [
        {
            "employee": e.pk,
            "employee_no": e.employee_no,
            "name": e.name,
            "reason": _("No position")
            if e.position_id is None
            else _("No active pay policy for %(position)s") % {"position": e.position_name},
        }
        for e in employees
        if e.position_id not in policies
    ]


def _payslips_compute(paid: list[_Person], policies: dict[int, PayPolicy], inputs: _Inputs) -> list[_Slip]:
    """Every paid employee's payslip; `PayRunFailed` listing each one who cannot be computed, with the reasons."""
    payslips, failures = [], {}
    for employee in paid:
        policy = policies[employee.position_id]
        try:
            lines, total = _payslip_lines(employee, policy, inputs)
        except _EmployeeFailed as exc:
            failures[str(employee.pk)] = [f"{employee.name}（{employee.employee_no}）：{why}" for why in exc.reasons]
            continue
        payslips.append(_Slip(employee.pk, policy.pk, employee.position_name, lines, total))
    if failures:
        raise PayRunFailed(
            ngettext(
                "%(count)d employee could not be computed; nothing was saved.",
                "%(count)d employees could not be computed; nothing was saved.",
                len(failures),
            )
            % {"count": len(failures)},
            fields=failures,
        )
    return payslips


def _payslips_insert(run: PayRun, version: int, payslips: list[_Slip]) -> None:
    """Write the payslips in one statement. On PostgreSQL that is a COPY: Django's bulk INSERT has psycopg quote every
    payslip's JSON on the client (10 s for 5,000 payslips of ~3 KB), COPY streams the rows as they are (0.2 s)."""
    if connection.vendor != "postgresql" or not payslips:
        Payslip.objects.bulk_create(
            Payslip(
                run=run,
                version=version,
                employee_id=p.employee_id,
                policy_id=p.policy_id,
                position=p.position,
                lines=p.lines,
                total=p.total,
            )
            for p in payslips
        )
        return
    now = timezone.now().isoformat()
    head = f"{run.pk}\t{version}\t"
    rows = "".join(
        f"{head}{p.employee_id}\t{p.policy_id}\t{_copy_text(p.position)}\t"
        f"{_copy_text(json.dumps(p.lines, ensure_ascii=False, separators=(',', ':')))}\t{p.total}\t{now}\n"
        for p in payslips
    )
    table = connection.ops.quote_name(Payslip._meta.db_table)
    columns = "run_id, version, employee_id, policy_id, position, lines, total, created_at"
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(rows)


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _read_inputs(run: PayRun, period: Period, employees: list, policies: dict[int, PayPolicy]) -> _Inputs:
    """Everything the sheets need, in one query per metric, one for scores, one for inputs, one for adjustments."""
    inputs = _Inputs(period=period)
    bindings = [b for policy in policies.values() for b in policy.bindings.values()]
    metric_keys = sorted({b["key"] for b in bindings if b["source"] == InputSource.METRIC})
    inputs.metrics = metric_values(metric_keys, employees, period)
    score_kinds = {b["key"] for b in bindings if b["source"] == InputSource.APPRAISAL}
    if score_kinds and employees:
        labels = {
            PeriodKind.MONTHLY: f"{period.start:%Y-%m}",
            PeriodKind.ANNUAL: f"{period.start:%Y}",
        }
        for kind in score_kinds:
            rows = Appraisal.objects.filter(
                employee__branch=run.branch, kind=kind, period=labels[kind], status=AppraisalStatus.CONFIRMED
            ).values_list("employee_id", "pk", "period", "score")
            for employee_id, pk, label, score in rows:
                inputs.scores[(employee_id, kind)] = (pk, label, score)
    if any(b["source"] == InputSource.MANUAL for b in bindings):
        rows = PayInput.objects.filter(employee__branch=run.branch, month=period.start)
        for employee_id, name, pk, value in rows.values_list("employee_id", "name", "pk", "value"):
            inputs.manual[(employee_id, name)] = (pk, value)
    if run.kind == PeriodKind.MONTHLY:
        for adjustment in PayAdjustment.objects.filter(employee__branch=run.branch, month=period.start):
            inputs.adjustments[adjustment.employee_id].append(adjustment)
    return inputs


class _EmployeeFailed(Exception):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons


def _input_value(employee, name: str, binding: dict, inputs: _Inputs) -> tuple[Decimal, dict]:
    """One input's value and the line explaining where it came from; _EmployeeFailed.reasons when it is missing."""
    source = binding["source"]
    entry = {"name": name, "kind": "input", "source": source, "key": binding.get("key", "")}
    if source == InputSource.CONSTANT:
        value = Decimal(binding["value"])
    elif source == InputSource.METRIC:
        metric = inputs.metrics[binding["key"]][employee.pk]
        value = metric.value
        entry["refs"] = [ref.as_row() for ref in metric.sources]
    elif source == InputSource.APPRAISAL:
        pk, label, value = inputs.scores.get((employee.pk, binding["key"]), (None, "", None))
        if value is None:
            kind = _("monthly") if binding["key"] == PeriodKind.MONTHLY else _("annual")
            raise _EmployeeFailed(
                [_("no confirmed %(kind)s appraisal score for “%(name)s”") % {"kind": kind, "name": name}]
            )
        entry["refs"] = [Source("appraisal", pk, label).as_row()]
    else:
        pk, value = inputs.manual.get((employee.pk, binding["key"]), (None, None))
        if pk is None:
            raise _EmployeeFailed([_("the manual input “%(name)s” is missing") % {"name": binding["key"]}])
        entry["refs"] = [Source("input", pk, f"{inputs.period.start:%Y-%m}", str(value)).as_row()]
    entry["value"] = str(value)
    return value, entry


def _payslip_lines(employee, policy: PayPolicy, inputs: _Inputs) -> tuple[list[dict], Decimal]:
    sheet = sheet_parse(policy.sheet)
    values: dict[str, Decimal] = {}
    input_lines: list[dict] = []
    reasons: list[str] = []
    for name in sorted(sheet.inputs):
        binding = policy.bindings.get(name) or {"source": InputSource.MANUAL, "key": name}
        try:
            values[name], entry = _input_value(employee, name, binding, inputs)
        except _EmployeeFailed as exc:
            reasons += exc.reasons
            continue
        input_lines.append(entry)
    if reasons:
        raise _EmployeeFailed(reasons)
    try:
        results = sheet.evaluate(values)
    except FormulaError as exc:
        raise _EmployeeFailed([str(exc)]) from None
    lines = [
        {"name": line.name, "kind": "line", "value": str(results[line.name]), "formula": line.text.strip()}
        for line in sheet.lines
    ]
    total = results[policy.total]
    adjustments = inputs.adjustments.get(employee.pk, [])
    if adjustments:
        adjusted = round_fen(sum((a.amount for a in adjustments), ZERO))
        lines.append(
            {
                "name": ADJUSTMENT_LINE,
                "kind": "adjustment",
                "value": str(adjusted),
                "refs": [Source("adjustment", a.pk, a.reason, str(a.amount)).as_row() for a in adjustments],
            }
        )
        total = round_fen(total + adjusted)
    return lines + input_lines, total
