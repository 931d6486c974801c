"""Reading uploaded xlsx sheets safely and writing xlsx downloads (openpyxl)."""

import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header_key(text) -> str:
    """A header as compared: no spaces, stars, colons or brackets (half- or full-width), lower case."""
    return re.sub(r"[\s*＊:：()（）]", "", str(text or "")).lower()


@dataclass(frozen=True)
class SheetColumn:
    """A column of an import sheet: its key, its Chinese and English headers, other names users write."""

    key: str
    zh: str
    en: str
    target: str = ""  # what the column fills, for sheets that fill several things (customer / asset)
    aliases: tuple[str, ...] = ()

    def label(self) -> str:
        return self.zh if (get_language() or "zh-hans").startswith("zh") else self.en

    def names(self) -> set[str]:
        return {header_key(n) for n in (self.key, self.zh, self.en, *self.aliases)}


def sheet_columns_map(headers: Sequence[str], columns: Sequence[SheetColumn], *, required: str) -> dict[str, int]:
    """Column key → index in the sheet, whatever the order and language of the headers.

    Refuses (naming the file field) a header that is no column's, or a sheet without the `required` column.
    """
    by_name = {name: column.key for column in columns for name in column.names()}
    mapping: dict[str, int] = {}
    unknown = []
    for index, header in enumerate(headers):
        if not header:
            continue
        key = by_name.get(header_key(header))
        if key is None:
            unknown.append(header)
        elif key not in mapping:
            mapping[key] = index
    if unknown:
        raise ValidationError(
            {"file": _("Unknown columns: %(columns)s. Use the template's headers.") % {"columns": ", ".join(unknown)}}
        )
    if required not in mapping:
        column = next(c for c in columns if c.key == required)
        raise ValidationError({"file": _("The sheet has no “%(column)s” column.") % {"column": column.label()}})
    return mapping


def _cell_value(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_xlsx_upload(upload, *, max_bytes: int, max_rows: int) -> tuple[list[str], list[list]]:
    """The header row and the data rows of the first sheet of an uploaded xlsx file.

    Refuses, with a message naming the file field, anything that is not an xlsx workbook, is larger
    than `max_bytes`, or has more than `max_rows` rows. Empty rows are dropped; numbers that are whole
    come back as int.
    """
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".xlsx"):
        raise ValidationError({"file": _("Only .xlsx files (Excel 2007 or later) can be imported.")})
    if upload.size > max_bytes:
        raise ValidationError(
            {
                "file": _("The file is %(size).1f MB; at most %(max)d MB can be imported.")
                % {"size": upload.size / 1024 / 1024, "max": max_bytes // 1024 // 1024}
            }
        )
    data = upload.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError({"file": _("This is not an xlsx workbook. Save it from Excel as .xlsx and try again.")})
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError({"file": _("The workbook cannot be read: %(error)s") % {"error": exc}}) from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[list] = []
        for raw in sheet.iter_rows(values_only=True):
            values = [_cell_value(v) for v in raw]
            if all(v in (None, "") for v in values):
                continue
            rows.append(values)
            if len(rows) > max_rows + 1:
                raise ValidationError(
                    {
                        "file": _("The sheet has more than %(max)d rows; split it into smaller files.")
                        % {"max": max_rows}
                    }
                )
    finally:
        workbook.close()
    if not rows:
        raise ValidationError({"file": _("The sheet is empty.")})
    headers = [str(h or "").strip() for h in rows[0]]
    return headers, rows[1:]


def _export_value(value):
    """A value as a cell: numbers, Decimals and dates stay typed (local time, naive); anything else is text."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, Decimal | int | float | str | datetime.date | datetime.time):
        return value
    return str(value)  # lazy translations, choices, model objects


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence], *, sheet_title: str = "Sheet1"):
    """An xlsx download of one sheet (see `xlsx_workbook_response`)."""
    return xlsx_workbook_response(filename, [(sheet_title, headers, rows)])


def xlsx_workbook_response(filename: str, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]):
    """An xlsx download of one or more sheets `(title, headers, rows)`, built in write-only mode so that large
    exports stay light on memory. Headers are bold; numbers and Decimals stay numbers; aware datetimes are
    written in local time."""
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=str(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_export_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
