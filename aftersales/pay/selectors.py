"""Reads of the pay pages (policies, runs, payslips, manual inputs, adjustments), each starting from the access
funnel and running a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from aftersales.core.access import get_for_user_or_404, visible_branch_ids
from aftersales.org.models import Branch, Employee
from aftersales.pay.choices import InputSource, PeriodKind, RunStatus
from aftersales.pay.formula import FormulaError
from aftersales.pay.metrics import METRICS, Source
from aftersales.pay.models import PayAdjustment, PayInput, PayPolicy, PayRun, Payslip
from aftersales.pay.services.policies import sheet_parse

#: Runs whose payslips the employees themselves may read.
RELEASED = (RunStatus.APPROVED, RunStatus.LOCKED)
#: The column of a pay sheet that is the payslip's total.
TOTAL_COLUMN = "合计"
APPRAISAL_NAMES = {PeriodKind.MONTHLY.value: "月考核分", PeriodKind.ANNUAL.value: "年终考核分"}


# -- policies ---------------------------------------------------------------------------------------------------------


def policy_list(*, user, q: str = "", position: int | None = None, kind: str = "", active: str = "") -> QuerySet:
    queryset = PayPolicy.objects.for_user(user).select_related("position")
    term = (q or "").strip()
    if term:
        queryset = queryset.filter(Q(code__icontains=term) | Q(name__icontains=term))
    if position:
        queryset = queryset.filter(position_id=position)
    if kind:
        queryset = queryset.filter(kind=kind)
    if active in ("1", "0"):
        queryset = queryset.filter(active=active == "1")
    return queryset.order_by("-active", "code", "pk")


def policy_get(*, user, pk) -> PayPolicy:
    return get_for_user_or_404(PayPolicy.objects.select_related("position", "created_by__employee"), user, pk=pk)


def binding_label(binding: dict) -> str:
    """Where an input comes from, as a reader says it: `Metric from records: 售后检查单数`, `Constant: 25`."""
    source = binding.get("source", "")
    label = str(InputSource(source).label) if source in InputSource.values else source
    if source == InputSource.CONSTANT:
        return f"{label}: {binding.get('value', '')}"
    if source == InputSource.APPRAISAL:
        return f"{label}: {APPRAISAL_NAMES.get(binding.get('key', ''), binding.get('key', ''))}"
    return f"{label}: {binding.get('key', '')}"


@dataclass(frozen=True)
class PolicyInput:
    name: str
    source: str
    source_label: str
    key: str
    value: str
    description: str
    unit: str


def policy_inputs(policy: PayPolicy) -> list[PolicyInput]:
    """The inputs of a policy's sheet with their bindings (as stored: one per input) and the metric's description."""
    try:
        names = sorted(sheet_parse(policy.sheet).inputs)
    except FormulaError:
        names = sorted(policy.bindings)
    rows = []
    for name in names:
        binding = policy.bindings.get(name) or {"source": InputSource.MANUAL.value, "key": name}
        source = binding.get("source", "")
        metric = METRICS.get(binding.get("key", "")) if source == InputSource.METRIC else None
        rows.append(
            PolicyInput(
                name=name,
                source=source,
                source_label=binding_label(binding),
                key=binding.get("key", ""),
                value=binding.get("value", ""),
                description=str(metric.description) if metric else "",
                unit=metric.unit if metric else "",
            )
        )
    return rows


def manual_input_names() -> list[str]:
    """The names of the manual inputs the active policies read (业绩奖 …), for the inputs page's choice."""
    names: set[str] = set()
    for bindings in PayPolicy.objects.filter(active=True).values_list("bindings", flat=True):
        for binding in (bindings or {}).values():
            if binding.get("source") == InputSource.MANUAL and binding.get("key"):
                names.add(binding["key"])
    return sorted(names)


def metric_rows() -> list[dict]:
    """The metrics registry as the help of the policy pages shows it."""
    return [
        {
            "key": key,
            "description": str(metric.description),
            "unit": metric.unit,
            "monthly": PeriodKind.MONTHLY in metric.kinds,
            "annual": PeriodKind.ANNUAL in metric.kinds,
        }
        for key, metric in METRICS.items()
    ]


# -- runs and payslips ------------------------------------------------------------------------------------------------


def visible_branches(user) -> QuerySet:
    return Branch.objects.for_user(user).filter(active=True).order_by("code")


def run_list(*, user, branch: int | None = None, period: str = "", status: str = "", kind: str = "") -> QuerySet:
    queryset = PayRun.objects.for_user(user).select_related("branch")
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if (period or "").strip():
        queryset = queryset.filter(period=period.strip())
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-period_start", "branch__code", "-id")


def run_get(*, user, pk) -> PayRun:
    queryset = PayRun.objects.select_related(
        "branch", "created_by__employee", "approved_by__employee", "locked_by__employee"
    )
    return get_for_user_or_404(queryset, user, pk=pk)


def run_payslips(run: PayRun) -> QuerySet:
    """The payslips of the run's current computation, by employee number."""
    return (
        Payslip.objects.filter(run=run, version=run.version)
        .select_related("employee")
        .order_by("employee__employee_no", "pk")
    )


def line_columns(payslips) -> list[str]:
    """The line names of the payslips (each policy's lines as written, then 调整), in the order first met."""
    names: dict[str, None] = {}
    for payslip in payslips:
        for line in payslip.lines:
            if line.get("kind") in ("line", "adjustment"):
                names.setdefault(line["name"], None)
    return list(names)


def line_values(payslip: Payslip) -> dict[str, str]:
    return {line["name"]: line["value"] for line in payslip.lines if line.get("kind") in ("line", "adjustment")}


@dataclass
class SheetRow:
    payslip: Payslip
    cells: list[Decimal | None]
    columns: list[str]

    @property
    def named(self) -> list[tuple[str, Decimal | None]]:
        return list(zip(self.columns, self.cells, strict=True))


def sheet_rows(payslips, columns: list[str]) -> list[SheetRow]:
    rows = []
    for payslip in payslips:
        values = line_values(payslip)
        rows.append(SheetRow(payslip, [Decimal(values[name]) if name in values else None for name in columns], columns))
    return rows


def sheet_totals(rows: list[SheetRow], columns: list[str]) -> list[Decimal]:
    return [sum((row.cells[index] or Decimal("0") for row in rows), Decimal("0")) for index in range(len(columns))]


def run_adjustments(run: PayRun) -> QuerySet:
    """Adjustments that correct this run, and those paid in its month for its branch (monthly runs)."""
    condition = Q(corrects=run)
    if run.kind == PeriodKind.MONTHLY:
        condition |= Q(employee__branch_id=run.branch_id, month=run.period_start)
    return (
        PayAdjustment.objects.filter(condition)
        .select_related("employee", "corrects", "created_by__employee")
        .order_by("-month", "-id")
    )


def payslip_queryset(user) -> QuerySet:
    """The payslips a user may open: the branch's (any computation) for those whose role reads pay runs; one's own
    of the current computation of approved or locked runs for everybody."""
    queryset = Payslip.objects.for_user(user)
    if user.is_superuser:
        return queryset
    own_released = Q(employee__user=user, run__status__in=RELEASED, version=F("run__version"))
    if user.has_perm("pay.view_payrun"):
        ids = visible_branch_ids(user)
        return queryset.filter(Q(run__branch__in=sorted(ids or ())) | own_released)
    return queryset.filter(own_released)


def payslip_get(*, user, pk) -> Payslip:
    queryset = payslip_queryset(user).select_related("run__branch", "employee", "policy")
    try:
        return queryset.get(pk=pk)
    except (Payslip.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def my_payslips(user) -> QuerySet:
    """The signed-in employee's own payslips of approved or locked runs, newest first."""
    return (
        Payslip.objects.for_user(user)
        .filter(employee__user=user, run__status__in=RELEASED, version=F("run__version"))
        .select_related("run__branch")
        .order_by("-run__period_start", "-run__kind", "-pk")
    )


def payslip_adjustments(payslip: Payslip) -> list[PayAdjustment]:
    """The adjustments that correct this payslip's run for its employee."""
    return list(
        PayAdjustment.objects.filter(employee=payslip.employee, corrects=payslip.run)
        .select_related("created_by__employee")
        .order_by("-month", "-id")
    )


# -- the records behind a payslip -------------------------------------------------------------------------------------


def _reverse(name: str, pk) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


REF_PAGES = {
    "order": "service:order_detail",
    "audit": "quality:audit_detail",
    "appraisal": "pay:appraisal_detail",
    "payslip": "pay:payslip_detail",
}


@dataclass
class Ref:
    kind: str
    id: int
    label: str
    amount: str = ""
    url: str = ""


@dataclass
class PayslipLine:
    name: str
    kind: str
    value: Decimal
    text: str = ""  # the value as recorded (a count stays 25, a score 88.00)
    formula: str = ""
    source: str = ""
    source_label: str = ""
    refs: list[Ref] = field(default_factory=list)


def _posting_audits(lines: list[dict]) -> dict[int, int]:
    """`{posting id: audit id}` of the postings behind the payslip (one query), so each links to its audit."""
    refs = (Source.read(ref) for line in lines for ref in line.get("refs", ()))
    ids = [ref.id for ref in refs if ref.kind == "posting"]
    if not ids:
        return {}
    try:
        from aftersales.quality.models import AuditPosting
    except ImportError:  # pragma: no cover - the quality app is always installed
        return {}
    return dict(AuditPosting.objects.filter(pk__in=ids).values_list("pk", "audit_id"))


def payslip_lines(
    payslip: Payslip, *, links: bool = True
) -> tuple[list[PayslipLine], list[PayslipLine], list[PayslipLine]]:
    """(lines, inputs, adjustments) of a payslip, each input with where it came from and (with `links`) the pages
    of its records. Without links it runs no query (a run's print of every payslip)."""
    postings = _posting_audits(payslip.lines) if links else {}
    kinds: dict[str, list[PayslipLine]] = {"line": [], "input": [], "adjustment": []}
    for raw in payslip.lines:
        refs = []
        for stored in raw.get("refs", ()):
            ref = Source.read(stored)
            kind, pk = ref.kind, ref.id
            url = ""
            if links and kind in REF_PAGES:
                url = _reverse(REF_PAGES[kind], pk)
            elif links and kind == "posting" and pk in postings:
                url = _reverse(REF_PAGES["audit"], postings[pk])
            refs.append(Ref(kind=kind, id=pk, label=ref.label, amount=ref.amount, url=url))
        source = raw.get("source", "")
        binding = {"source": source, "key": raw.get("key", ""), "value": raw.get("value", "")}
        kinds.setdefault(raw.get("kind", "line"), []).append(
            PayslipLine(
                name=raw["name"],
                kind=raw.get("kind", "line"),
                value=Decimal(raw["value"]),
                text=raw["value"],
                formula=raw.get("formula", ""),
                source=source,
                source_label=binding_label(binding) if source else "",
                refs=refs,
            )
        )
    return kinds["line"], kinds["input"], kinds["adjustment"]


# -- manual inputs ----------------------------------------------------------------------------------------------------


def branch_employees(branch) -> QuerySet:
    """The branch's active employees (main branch), by employee number."""
    return (
        Employee.objects.filter(branch=branch, active=True)
        .select_related("position")
        .order_by("employee_no", "pk")
        .only("pk", "employee_no", "name", "branch_id", "position__name")
    )


def input_values(employee_ids, month: datetime.date, names) -> dict[tuple[int, str], PayInput]:
    """`{(employee id, name): PayInput}` of the given employees, month and input names (one query)."""
    rows = PayInput.objects.filter(employee_id__in=list(employee_ids), month=month, name__in=list(names))
    return {(row.employee_id, row.name): row for row in rows}


def adjustment_list(*, user, branch: int | None = None, month: str = "", q: str = "") -> QuerySet:
    queryset = PayAdjustment.objects.for_user(user).select_related(
        "employee__branch", "corrects", "created_by__employee"
    )
    if branch:
        queryset = queryset.filter(employee__branch_id=branch)
    if month:
        queryset = queryset.filter(month=month)
    term = (q or "").strip()
    if term:
        queryset = queryset.filter(Q(employee__name__icontains=term) | Q(employee__employee_no__icontains=term))
    return queryset.order_by("-month", "-id")
