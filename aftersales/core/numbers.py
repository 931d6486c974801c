"""Document numbers: `<PREFIX>-<BRANCH CODE>-<YYYYMMDD>-<NNNN>`, unique per branch and day.

The counter is advanced by one upsert statement (`INSERT … ON CONFLICT … DO UPDATE … RETURNING`),
which PostgreSQL and SQLite (≥ 3.35) both execute atomically: the row lock it takes is held until
the caller's transaction ends, so concurrent creators queue behind each other and never see the
same number. A rolled-back transaction gives its number back.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from aftersales.core.models import DocumentSequence


def _local_today() -> datetime.date:
    return timezone.localdate()


def document_number_next(*, prefix: str, branch, day: datetime.date | None = None) -> str:
    """Reserve and return the next number, e.g. `WO-BJ01-20261126-0001`.

    Call it inside the transaction that saves the document, so that the number is only used
    if the document is.
    """
    day = day or _local_today()
    table = connection.ops.quote_name(DocumentSequence._meta.db_table)
    sql = (
        f"INSERT INTO {table} (prefix, branch_id, day, last) VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT (prefix, branch_id, day) DO UPDATE SET last = {table}.last + 1 "
        "RETURNING last"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [prefix, branch.pk, day.isoformat()])
        (last,) = cursor.fetchone()
    return f"{prefix}-{branch.code}-{day:%Y%m%d}-{last:04d}"
