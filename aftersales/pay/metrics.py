"""The metrics registry: numbers computed from records for an employee and a period (售后检查单数, 督查次数 …).

Pay policies bind their inputs to metrics by name, appraisal items score them, and the KPI pages will read them
too. Each metric computes the values of *all* the given employees in a fixed number of queries (never one per
employee) and says which records are behind each value (`Source`), so a payslip can list the orders, audits or
inputs behind a count.

Every metric answers every employee it is asked about: 0 with no sources when nothing counts.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from aftersales.pay.choices import PeriodKind

ZERO = Decimal("0")


class Source(NamedTuple):
    """One record behind a value: `kind` is order, audit, posting, payslip, input or appraisal.

    A tuple, not a dataclass: a run of thousands of employees makes a hundred thousand of them."""

    kind: str
    id: int
    label: str
    amount: str = ""  # what this record adds, as a decimal string, when that is not simply 1

    def as_json(self) -> dict:
        data = {"kind": self.kind, "id": self.id, "label": self.label}
        if self.amount:
            data["amount"] = self.amount
        return data

    def as_row(self) -> tuple:
        """The compact form a payslip stores, `[kind, id, label]` or `[kind, id, label, amount]` (a payslip of an
        inspector lists some twenty orders; five thousand of them are written in one run)."""
        return self if self.amount else self[:3]

    @classmethod
    def read(cls, stored) -> Source:
        """A source back from either stored form (the compact row or the `as_json` dict)."""
        if isinstance(stored, dict):
            return cls(stored.get("kind", ""), stored.get("id"), stored.get("label", ""), stored.get("amount", ""))
        return cls(*stored)


@dataclass
class MetricValue:
    value: Decimal = ZERO
    sources: list[Source] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    """A month or a year: `start` is its first day, `end` the first day after it (local dates)."""

    kind: str
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.kind == PeriodKind.MONTHLY else f"{self.start:%Y}"

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.end, datetime.time.min))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = datetime.date(year, month, 1)
        end = datetime.date(year + (month == 12), month % 12 + 1, 1)
        return cls(PeriodKind.MONTHLY, start, end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(PeriodKind.ANNUAL, datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))

    @classmethod
    def parse(cls, text: str, kind: str | None = None) -> Period:
        """`2026-11` → that month, `2026` → that year; ValueError otherwise."""
        text = (text or "").strip()
        if kind in (None, PeriodKind.MONTHLY) and len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return cls.month(year, month)
        if kind in (None, PeriodKind.ANNUAL) and len(text) == 4 and text.isdigit() and 2000 <= int(text) <= 2100:
            return cls.year(int(text))
        raise ValueError(text)


Compute = Callable[[Sequence, Period], dict[int, MetricValue]]


@dataclass(frozen=True)
class Metric:
    """A metric: its name as written in formulas, what it counts, its unit, the periods it applies to."""

    key: str
    description: str
    unit: str
    compute: Compute
    kinds: tuple[str, ...] = (PeriodKind.MONTHLY, PeriodKind.ANNUAL)


METRICS: dict[str, Metric] = {}


def register(key: str, description, unit, *, kinds=(PeriodKind.MONTHLY, PeriodKind.ANNUAL)):
    """Decorator: register `compute(employees, period) -> {employee_id: MetricValue}` under `key`."""

    def decorate(compute: Compute) -> Compute:
        METRICS[key] = Metric(key=key, description=description, unit=unit, compute=compute, kinds=tuple(kinds))
        return compute

    return decorate


def metric_values(keys: Iterable[str], employees: Sequence, period: Period) -> dict[str, dict[int, MetricValue]]:
    """`{key: {employee_id: MetricValue}}` for every key and every employee (0 where nothing counts).

    `employees` are `org.Employee` rows (their `user_id`, `team_id` and `branch_id` are read, nothing else).
    """
    result: dict[str, dict[int, MetricValue]] = {}
    for key in keys:
        computed = METRICS[key].compute(employees, period) if employees else {}
        result[key] = {employee.pk: computed.get(employee.pk) or MetricValue() for employee in employees}
    return result


# The metrics themselves live in `pay.metric_defs` (imported below so that the registry is always complete).
from aftersales.pay import metric_defs  # noqa: E402, F401
