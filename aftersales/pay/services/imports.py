"""Manual pay inputs in bulk: the inputs page's grid and the xlsx sheet (工号, 姓名, one column per input).

Both write through `inputs.pay_inputs_set`, one employee at a time, all in one transaction: if any row cannot be
saved (a number that is not one, an employee who is not the branch's, a month whose pay run is locked), nothing
is saved and every problem is reported, each naming its row (the employee, or the sheet's line) and its column.

The import is checked first (`pay_input_import_preview`): every row's errors are listed and nothing is saved. The
checked rows travel back to the browser in a signed token, not in a session or a temp file, so the confirming
request may land on any app server; `pay_input_import_commit` checks them all again (the database may have
changed) and saves every row, or nothing.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.core.xlsx import SheetColumn, header_key, read_xlsx_upload
from aftersales.org.access import user_sees_branch
from aftersales.org.models import Branch, Employee
from aftersales.pay.formula import is_valid_name
from aftersales.pay.models import PayInput
from aftersales.pay.services.inputs import amount_parse, month_closed, month_parse, pay_inputs_set

EMPLOYEE_NO = SheetColumn("employee_no", "工号", "Employee number", aliases=("员工编号", "员工号", "编号"))
NAME = SheetColumn("name", "姓名", "Name", aliases=("员工姓名", "员工"))
#: How long a checked sheet may wait for its confirmation.
TOKEN_MAX_AGE = 24 * 3600
TOKEN_SALT = "aftersales.pay.input_import"
MAX_NAMES = 20


class InputsNotSaved(ValidationError):
    """Some rows could not be saved; nothing was. `error_dict` maps each row (employee id or sheet line) to its
    problems."""


def names_parse(text, field: str = "names") -> list[str]:
    """`业绩奖、全勤奖` (or a list) → the input names, each checked; ValidationError naming `field` otherwise."""
    parts = text if isinstance(text, list | tuple) else re.split(r"[,，、;；\s]+", str(text or ""))
    names = list(dict.fromkeys(str(part).strip() for part in parts if str(part).strip()))
    if not names:
        raise ValidationError({field: _("Name at least one input, e.g. 业绩奖.")})
    bad = [name for name in names if not is_valid_name(name)]
    if bad:
        raise ValidationError({field: _("“%(name)s” is not a valid input name.") % {"name": bad[0]}})
    if len(names) > MAX_NAMES:
        raise ValidationError({field: _("At most %(max)d inputs at a time.") % {"max": MAX_NAMES}})
    return names


def _require_branch(actor, branch) -> None:
    if branch is None or not user_sees_branch(actor, branch.pk):
        raise Http404


def _save_many(*, actor, month: datetime.date, entries: list[tuple[str, Employee, dict]]) -> int:
    """Every entry `(row key, employee, values)` through `pay_inputs_set`, in one transaction; InputsNotSaved
    (and nothing saved) if any fails."""
    errors: dict[str, list[str]] = {}
    written = 0
    with transaction.atomic():
        for key, employee, values in entries:
            try:
                written += len(pay_inputs_set(actor=actor, employee=employee, month=month, values=values))
            except ValidationError as exc:
                errors[key] = exc.messages
            except Conflict as exc:
                errors[key] = [str(exc.message)]
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise InputsNotSaved(errors)
    return written


# -- the grid ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridSaved:
    employees: int
    values: int


def pay_inputs_grid_save(*, actor, branch, month, names, posted: dict[int, dict[str, str]]) -> GridSaved:
    """Save the inputs page's grid: `posted` maps employee ids to `{name: typed text}`. Only what changed is
    written (one `pay_inputs_set` per changed employee), all in one transaction.

    A blank cell where nothing was entered is left alone; a blank cell over an entered value is refused (a value
    is corrected, never removed: enter 0). Errors name the employee and the column.
    """
    require_perm(actor, "pay.change_payinput")
    _require_branch(actor, branch)
    month = month_parse(month)
    names = names_parse(names)
    if month_closed(branch.pk, month):
        raise Conflict(
            _("The pay run of %(month)s is locked; record a correction as an adjustment in a later month.")
            % {"month": f"{month:%Y-%m}"},
            code="month_locked",
        )
    ids = [pk for pk in posted if isinstance(pk, int)]
    employees = {e.pk: e for e in Employee.objects.filter(pk__in=ids, branch=branch, active=True)}
    current = {
        (row.employee_id, row.name): row.value
        for row in PayInput.objects.filter(employee_id__in=list(employees), month=month, name__in=names)
    }
    errors: dict[str, list[str]] = defaultdict(list)
    entries = []
    for pk, cells in posted.items():
        employee = employees.get(pk)
        if employee is None:
            errors[str(pk)].append(_("This employee is not an active employee of %(branch)s.") % {"branch": branch})
            continue
        changed: dict[str, Decimal] = {}
        for name in names:
            text = str(cells.get(name, "") or "").strip()
            before = current.get((pk, name))
            if not text:
                if before is not None:
                    errors[str(pk)].append(
                        _("%(column)s: an entered value cannot be removed; enter 0 instead.") % {"column": name}
                    )
                continue
            try:
                value = amount_parse(text, name)
            except ValidationError:
                errors[str(pk)].append(_("%(column)s: “%(value)s” is not a number.") % {"column": name, "value": text})
                continue
            if before is None or value != before:
                changed[name] = value
        if changed:
            entries.append((str(pk), employee, changed))
    if errors:
        raise InputsNotSaved(dict(errors))
    written = _save_many(actor=actor, month=month, entries=entries)
    return GridSaved(employees=len(entries), values=written)


# -- the xlsx sheet ---------------------------------------------------------------------------------------------------


def template_headers(names) -> list[str]:
    return [EMPLOYEE_NO.label(), NAME.label(), *names]


def template_rows(*, branch, month: datetime.date, names) -> list[list]:
    """The branch's active employees with their values of the month (blank where none), for the template."""
    employees = list(
        Employee.objects.filter(branch=branch, active=True)
        .order_by("employee_no")
        .values_list("pk", "employee_no", "name")
    )
    values = {
        (employee_id, name): value
        for employee_id, name, value in PayInput.objects.filter(
            employee_id__in=[pk for pk, _no, _name in employees], month=month, name__in=list(names)
        ).values_list("employee_id", "name", "value")
    }
    return [[number, name, *(values.get((pk, column)) for column in names)] for pk, number, name in employees]


@dataclass
class ImportRow:
    line: int
    employee_no: str
    name: str
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    employee: Employee | None = None


@dataclass
class InputImport:
    """A checked sheet: its rows with their errors, and (when every row is valid) the token that confirms it."""

    branch: Branch
    month: datetime.date
    names: list[str]
    rows: list[ImportRow]
    token: str = ""

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def value_count(self) -> int:
        return sum(len(row.values) for row in self.rows)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(round(value, 6))).normalize(), "f")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _columns(headers: list[str]) -> tuple[int, int | None, dict[str, int]]:
    """(工号 column, 姓名 column or None, {input name: column}); ValidationError on `file` otherwise."""
    employee_column = name_column = None
    inputs: dict[str, int] = {}
    for index, header in enumerate(headers):
        text = str(header or "").strip()
        if not text:
            continue
        key = header_key(text)
        if key in EMPLOYEE_NO.names() and employee_column is None:
            employee_column = index
        elif key in NAME.names() and name_column is None:
            name_column = index
        elif not is_valid_name(text):
            raise ValidationError({"file": _("The column “%(column)s” is not an input name.") % {"column": text}})
        elif text in inputs:
            raise ValidationError({"file": _("The column “%(column)s” appears twice.") % {"column": text}})
        else:
            inputs[text] = index
    if employee_column is None:
        raise ValidationError({"file": _("The sheet has no “%(column)s” column.") % {"column": EMPLOYEE_NO.label()}})
    if not inputs:
        raise ValidationError({"file": _("The sheet has no input column (e.g. 业绩奖) after 工号 and 姓名.")})
    if len(inputs) > MAX_NAMES:
        raise ValidationError({"file": _("At most %(max)d inputs at a time.") % {"max": MAX_NAMES}})
    return employee_column, name_column, inputs


def _cell(cells: list, index: int | None):
    return cells[index] if index is not None and index < len(cells) else None


def _parse(headers: list[str], raw_rows: list[list]) -> tuple[list[str], list[ImportRow]]:
    employee_column, name_column, inputs = _columns(headers)
    rows = []
    for number, cells in enumerate(raw_rows, start=2):
        values = {}
        for name, index in inputs.items():
            text = _text(_cell(cells, index))
            if text:
                values[name] = text
        rows.append(
            ImportRow(
                line=number,
                employee_no=_text(_cell(cells, employee_column)),
                name=_text(_cell(cells, name_column)),
                values=values,
            )
        )
    return list(inputs), rows


def _check(rows: list[ImportRow], *, branch, month: datetime.date) -> None:
    """Every row's errors, each naming the column: unknown, inactive or repeated employees, a name that is not the
    employee's, cells that are not numbers, a locked month. A fixed number of queries for the whole sheet."""
    employee_label, name_label = EMPLOYEE_NO.label(), NAME.label()
    numbers = {row.employee_no for row in rows if row.employee_no}
    employees = {e.employee_no: e for e in Employee.objects.filter(branch=branch, employee_no__in=numbers)}
    locked = month_closed(branch.pk, month)
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.employee_no:
            lines[row.employee_no].append(row.line)
    for row in rows:
        row.errors = []
        row.employee = None
        if not row.employee_no:
            row.errors.append(_("%(column)s: required.") % {"column": employee_label})
        else:
            employee = employees.get(row.employee_no)
            others = [line for line in lines[row.employee_no] if line != row.line]
            if employee is None:
                row.errors.append(
                    _("%(column)s: there is no employee %(number)s in %(branch)s.")
                    % {"column": employee_label, "number": row.employee_no, "branch": branch.name}
                )
            elif not employee.active:
                row.errors.append(
                    _("%(column)s: %(number)s is no longer active.")
                    % {"column": employee_label, "number": row.employee_no}
                )
            else:
                row.employee = employee
                if row.name and row.name.replace(" ", "") != employee.name.replace(" ", ""):
                    row.errors.append(
                        _("%(column)s: “%(given)s” is not the name of %(number)s (%(name)s).")
                        % {"column": name_label, "given": row.name, "number": row.employee_no, "name": employee.name}
                    )
            if others:
                row.errors.append(
                    _("%(column)s: %(number)s is also on line %(lines)s.")
                    % {"column": employee_label, "number": row.employee_no, "lines": ", ".join(map(str, others))}
                )
        for name, text in row.values.items():
            try:
                amount_parse(text, name)
            except ValidationError:
                row.errors.append(_("%(column)s: “%(value)s” is not a number.") % {"column": name, "value": text})
        if locked and row.values:
            row.errors.append(
                _("The pay run of %(month)s is locked; record a correction as an adjustment in a later month.")
                % {"month": f"{month:%Y-%m}"}
            )


def _token(result: InputImport) -> str:
    data = {
        "branch": result.branch.pk,
        "month": f"{result.month:%Y-%m}",
        "names": result.names,
        "rows": [[row.line, row.employee_no, row.name, row.values] for row in result.rows],
    }
    return signing.dumps(data, salt=TOKEN_SALT, compress=True)


def pay_input_import_preview(*, actor, branch, month, upload) -> InputImport:
    """Read and check an uploaded sheet for a branch and month; saves nothing. The result carries a token to
    confirm it with only when every row is valid."""
    require_perm(actor, "pay.change_payinput")
    _require_branch(actor, branch)
    month = month_parse(month)
    config = settings.AFTERSALES
    headers, raw_rows = read_xlsx_upload(
        upload, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
    )
    names, rows = _parse(headers, raw_rows)
    if not rows:
        raise ValidationError({"file": _("The sheet has a header row but no employees.")})
    _check(rows, branch=branch, month=month)
    result = InputImport(branch=branch, month=month, names=names, rows=rows)
    if not result.bad_rows:
        result.token = _token(result)
    return result


def pay_input_import_load(*, actor, token: str) -> InputImport:
    """The sheet a token stands for, checked again now."""
    require_perm(actor, "pay.change_payinput")
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(_("This check has expired or was changed; upload the sheet again.")) from None
    branch = Branch.objects.filter(pk=data["branch"]).first()
    _require_branch(actor, branch)
    month = month_parse(data["month"])
    rows = [
        ImportRow(line=line, employee_no=number, name=name, values=values)
        for line, number, name, values in data["rows"]
    ]
    _check(rows, branch=branch, month=month)
    result = InputImport(branch=branch, month=month, names=list(data["names"]), rows=rows)
    if not result.bad_rows:
        result.token = _token(result)
    return result


@transaction.atomic
def pay_input_import_commit(*, actor, token: str) -> InputImport:
    """Save every row of a checked sheet in one transaction, or nothing (InputsNotSaved naming each line)."""
    result = pay_input_import_load(actor=actor, token=token)
    if result.bad_rows:
        raise InputsNotSaved({str(row.line): row.errors for row in result.bad_rows})
    entries = [
        (str(row.line), row.employee, {name: amount_parse(text, name) for name, text in row.values.items()})
        for row in result.rows
        if row.values
    ]
    _save_many(actor=actor, month=result.month, entries=entries)
    return result
