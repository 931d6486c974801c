"""Importing the parts catalogue and opening stock from xlsx: preview with per-row errors, all-or-nothing commit."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Sum
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.parts.choices import ImportStatus, MoveKind
from aftersales.parts.models import Bin, GoodsReceipt, Part, PartImport, StockBalance, StockMove
from aftersales.parts.services import imports as services
from aftersales.parts.services.imports import COLUMNS, map_headers
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = pytest.mark.usefixtures("english")

ZH_HEADERS = [c.zh for c in COLUMNS]
EN_HEADERS = [c.en for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]


def sheet_row(code, name="", **values) -> list:
    """A row in the order of the template's columns; blank cells unless given."""
    values = {"code": code, "name": name, **values}
    return [values.get(key, "") for key in KEYS]


def xlsx_upload(rows: list[list], name: str = "parts.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def preview(actor, branch, rows, headers=ZH_HEADERS, name="parts.xlsx") -> PartImport:
    return services.part_import_preview(actor=actor, branch=branch, upload=xlsx_upload([headers, *rows], name))


def row_at(batch, line) -> dict:
    [row] = [row for row in batch.rows if row["line"] == line]
    return row


def saved() -> tuple[int, int, int]:
    return Part.objects.count(), StockMove.objects.count(), GoodsReceipt.objects.count()


@pytest.fixture
def spare_warehouse(branch):
    """A second warehouse of BJ01 (钣喷仓)."""
    return WarehouseFactory(branch=branch, code="BJ01-BP", name="钣喷仓")


def good_rows() -> list[list]:
    """Four new parts: two with opening stock in the default warehouse, one in 钣喷仓 with a bin, one without stock."""
    return [
        sheet_row(
            "of-15400",
            "机油滤清器",
            oem_number="15400-rta-003",
            brand="本田",
            category="滤清器",
            unit="个",
            barcode="6901234567892",
            retail_price=58,
            warranty_price=45.5,
            reorder_point=10,
            reorder_quantity=30,
            supplier="bosch",
            quantity=20,
            unit_cost=32.5,
        ),
        sheet_row(
            "BP-0986", "前刹车片", category="刹车片", unit="套", retail_price="¥1,280.00", quantity=4, unit_cost="610"
        ),
        sheet_row(
            "PAINT-01",
            "清漆",
            unit="升",
            retail_price=0.1 + 0.2,
            warehouse="bj01-bp",
            bin="a-01-01",
            quantity=2.5,
            unit_cost=88.8888,
        ),
        sheet_row("WB-600", "雨刮片", unit="条", retail_price=98),
    ]


# -- a good sheet -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [ZH_HEADERS, EN_HEADERS], ids=["chinese-headers", "english-headers"])
def test_a_good_sheet_previews_without_errors_and_saves_nothing_yet(keeper, branch, supplier, spare_warehouse, headers):
    batch = preview(keeper, branch, good_rows(), headers)

    assert (batch.row_count, batch.error_count, batch.status) == (4, 0, ImportStatus.PREVIEWED)
    assert batch.valid
    assert [row["line"] for row in batch.rows] == [2, 3, 4, 5]
    assert [row["existing_part_id"] for row in batch.rows] == [None] * 4
    assert row_at(batch, 4)["warehouse_code"] == "BJ01-BP"
    assert saved() == (0, 0, 0)


def test_a_good_sheet_commits_parts_opening_balances_and_average_costs(
    keeper, branch, warehouse, supplier, spare_warehouse
):
    batch = preview(keeper, branch, good_rows())

    result = services.part_import_commit(actor=keeper, batch=batch)

    assert (result.created, result.updated, result.receipts) == (4, 0, 2)
    assert PartImport.objects.get(pk=batch.pk).status == ImportStatus.IMPORTED
    oil = Part.objects.get(code="OF-15400")
    assert (oil.name, oil.oem_number, oil.brand, oil.category, oil.unit, oil.barcode) == (
        "机油滤清器",
        "15400-RTA-003",
        "本田",
        "滤清器",
        "个",
        "6901234567892",
    )
    assert (oil.retail_price, oil.warranty_price, oil.reorder_point, oil.reorder_quantity) == (
        Decimal("58.00"),
        Decimal("45.50"),
        Decimal("10.00"),
        Decimal("30.00"),
    )
    assert oil.supplier == supplier
    assert Part.objects.get(code="BP-0986").retail_price == Decimal("1280.00")
    assert Part.objects.get(code="PAINT-01").retail_price == Decimal("0.30")
    assert Part.objects.get(code="WB-600").balances.count() == 0

    def balance(code, wh):
        b = StockBalance.objects.get(part__code=code, warehouse=wh)
        return b.on_hand, b.value, b.average_cost

    assert balance("OF-15400", warehouse) == (Decimal("20.00"), Decimal("650.00"), Decimal("32.5000"))
    assert balance("BP-0986", warehouse) == (Decimal("4.00"), Decimal("2440.00"), Decimal("610.0000"))
    assert balance("PAINT-01", spare_warehouse) == (Decimal("2.50"), Decimal("222.22"), Decimal("88.8880"))
    receipts = GoodsReceipt.objects.order_by("id")
    assert [(r.warehouse, r.note, r.lines.count()) for r in receipts] == [
        (warehouse, "Opening stock parts.xlsx", 2),
        (spare_warehouse, "Opening stock parts.xlsx", 1),
    ]
    assert set(StockMove.objects.values_list("kind", flat=True)) == {MoveKind.RECEIPT}
    for b in StockBalance.objects.all():
        sums = StockMove.objects.filter(part=b.part, warehouse=b.warehouse).aggregate(q=Sum("quantity"), v=Sum("value"))
        assert (sums["q"], sums["v"]) == (b.on_hand, b.value)
    bin_ = Bin.objects.get(warehouse=spare_warehouse, code="A-01-01")
    assert StockBalance.objects.get(part__code="PAINT-01", warehouse=spare_warehouse).bin == bin_


def test_the_import_is_audited_on_the_batch_and_every_new_part(keeper, branch, supplier, spare_warehouse):
    batch = preview(keeper, branch, good_rows())

    services.part_import_commit(actor=keeper, batch=batch)

    [event] = AuditEvent.objects.filter(action=AuditAction.IMPORT)
    assert (event.object_id, event.actor) == (batch.pk, keeper)
    assert event.payload == {"rows": 4, "parts_created": 4, "parts_updated": 0, "receipts": 2}
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, content_type__model="part").count() == 4


def test_an_existing_code_updates_only_the_filled_in_columns_and_keeps_the_history(keeper, branch, part, supplier):
    other = PartFactory(code="SP-01", name="火花塞", retail_price=Decimal("45.00"), category="火花塞")
    rows = [
        sheet_row("of-001", retail_price=60, reorder_point=5),
        sheet_row("SP-01", "铱金火花塞", category="火花塞", supplier="BOSCH"),
    ]

    batch = preview(keeper, branch, rows)
    assert [row["existing_part_id"] for row in batch.rows] == [part.pk, other.pk]
    result = services.part_import_commit(actor=keeper, batch=batch)

    assert (result.created, result.updated, result.receipts) == (0, 2, 0)
    part.refresh_from_db()
    assert (part.name, part.oem_number, part.retail_price, part.reorder_point) == (
        "机油滤清器",
        "15400-RTA-003",
        Decimal("60.00"),
        Decimal("5.00"),
    )
    other.refresh_from_db()
    assert (other.name, other.retail_price, other.supplier) == ("铱金火花塞", Decimal("45.00"), supplier)
    [change] = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=part.pk, content_type__model="part")
    assert change.changes == {
        "retail_price": {"before": "58.00", "after": "60.00"},
        "reorder_point": {"before": "0.00", "after": "5.00"},
    }
    [renamed] = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=other.pk, content_type__model="part")
    assert set(renamed.changes) == {"name", "supplier"}  # the unchanged category is not recorded


def test_opening_stock_of_an_existing_part_without_moves_is_received(keeper, branch, warehouse, part):
    batch = preview(keeper, branch, [sheet_row("OF-001", quantity=6, unit_cost="12.3456")])

    services.part_import_commit(actor=keeper, batch=batch)

    b = StockBalance.objects.get(part=part, warehouse=warehouse)
    assert (b.on_hand, b.value, b.average_cost) == (Decimal("6.00"), Decimal("74.07"), Decimal("12.3450"))


def test_headers_may_use_aliases_and_required_marks_in_any_order(keeper, branch, warehouse):
    headers = ["期初单价", "配件号*", "配件名称", "期初库存", "售价"]

    batch = preview(keeper, branch, [[10, "X-1", "灯泡", 3, 25]], headers)
    services.part_import_commit(actor=keeper, batch=batch)

    bulb = Part.objects.get(code="X-1")
    assert (bulb.name, bulb.retail_price) == ("灯泡", Decimal("25.00"))
    assert StockBalance.objects.get(part=bulb, warehouse=warehouse).on_hand == Decimal("3.00")


def test_a_zero_opening_quantity_receives_nothing(keeper, branch):
    batch = preview(keeper, branch, [sheet_row("X-1", "灯泡", quantity=0)])

    services.part_import_commit(actor=keeper, batch=batch)

    assert saved() == (1, 0, 0)


# -- a sheet with errors ------------------------------------------------------------------------------------------------

BAD_ROWS = {
    "new-part-without-name": (sheet_row("NEW-1"), "Name: required for a new part."),
    "no-code": (sheet_row("", "无编码配件"), "Part code: required."),
    "code-with-spaces": (sheet_row("AB 12", "配件"), "Part code: Use letters, digits"),
    "unknown-supplier": (
        sheet_row("NEW-1", "配件", supplier="NOPE"),
        "Supplier code: there is no supplier with code NOPE.",
    ),
    "unknown-warehouse": (
        sheet_row("NEW-1", "配件", warehouse="XX", quantity=1, unit_cost=1),
        "Warehouse code: there is no warehouse XX that you can use.",
    ),
    "another-branchs-warehouse": (
        sheet_row("NEW-1", "配件", warehouse="SH01", quantity=1, unit_cost=1),
        "Warehouse code: there is no warehouse SH01 that you can use.",
    ),
    "quantity-without-cost": (
        sheet_row("NEW-1", "配件", quantity=5),
        "Opening unit cost: required when an opening quantity is given.",
    ),
    "cost-without-quantity": (sheet_row("NEW-1", "配件", unit_cost=5), "Opening unit cost: given without"),
    "negative-quantity": (sheet_row("NEW-1", "配件", quantity=-2, unit_cost=5), "Opening quantity: Enter a quantity"),
    "quantity-three-decimals": (
        sheet_row("NEW-1", "配件", quantity=1.125, unit_cost=5),
        "Opening quantity: Use at most",
    ),
    "negative-cost": (sheet_row("NEW-1", "配件", quantity=1, unit_cost=-5), "Opening unit cost: The cost cannot"),
    "price-not-a-number": (sheet_row("NEW-1", "配件", retail_price="面议"), "Retail price: “面议” is not a number."),
    "negative-price": (sheet_row("NEW-1", "配件", warranty_price=-1), "Warranty price: Ensure this value"),
    "price-three-decimals": (sheet_row("NEW-1", "配件", retail_price=1.005), "Retail price: Ensure that there are no"),
    "unit-too-long": (
        sheet_row("NEW-1", "配件", unit="一个很长很长很长的单位名"),
        "Unit: Ensure this value has at most",
    ),
    "bad-bin-code": (sheet_row("NEW-1", "配件", bin="A 01"), "Bin: Use letters, digits"),
    "code-twice": (sheet_row("of-15400", "机油滤清器"), "Part code: OF-15400 is also on line 2."),
}


@pytest.mark.parametrize("bad, error", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_listed_with_its_line_and_column_and_nothing_is_imported(
    keeper, branch, supplier, spare_warehouse, other_warehouse, bad, error
):
    batch = preview(keeper, branch, [*good_rows(), bad])

    assert (batch.row_count, batch.error_count) == (5, 2 if "is also on line" in error else 1)
    assert not batch.valid
    assert any(e.startswith(error) for e in row_at(batch, 6)["errors"]), row_at(batch, 6)["errors"]
    assert all(not row_at(batch, line)["errors"] for line in (3, 4, 5))

    with pytest.raises(ValidationError) as caught:
        services.part_import_commit(actor=keeper, batch=batch)

    assert "line 2" in caught.value.messages[0] or "line 6" in caught.value.messages[0]
    assert "nothing was imported" in caught.value.messages[0]
    assert saved() == (0, 0, 0)
    assert Bin.objects.count() == 0
    assert PartImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED
    assert not AuditEvent.objects.filter(action__in=[AuditAction.CREATE, AuditAction.IMPORT]).exists()


def test_a_duplicate_code_is_an_error_on_both_rows_naming_the_other(keeper, branch, supplier, spare_warehouse):
    batch = preview(keeper, branch, [*good_rows(), sheet_row("OF-15400", "机油格")])

    assert row_at(batch, 2)["errors"] == ["Part code: OF-15400 is also on line 6."]
    assert row_at(batch, 6)["errors"] == ["Part code: OF-15400 is also on line 2."]


def test_every_bad_row_is_listed_with_all_its_errors(keeper, branch):
    rows = [sheet_row("A-1", retail_price="x", quantity=3), sheet_row("A-2", "好的"), sheet_row("", "", unit_cost=1)]

    batch = preview(keeper, branch, rows)

    assert batch.error_count == 2
    assert row_at(batch, 2)["errors"] == [
        "Retail price: “x” is not a number.",
        "Name: required for a new part.",
        "Opening unit cost: required when an opening quantity is given.",
    ]
    assert row_at(batch, 4)["errors"] == [
        "Part code: required.",
        "Name: required for a new part.",
        "Opening unit cost: given without an opening quantity.",
    ]


def test_errors_name_the_columns_in_chinese_for_a_chinese_user(keeper, branch):
    with translation.override("zh-hans"):
        batch = preview(keeper, branch, [sheet_row("A-1", quantity=3, unit_cost=1)])

    assert row_at(batch, 2)["errors"][0] == "名称：新配件必须填写。"


def test_opening_stock_into_a_part_and_warehouse_with_moves_is_refused(keeper, branch, warehouse, part, stock):
    stock(warehouse, part, 5, "10.00")

    batch = preview(keeper, branch, [sheet_row("OF-001", quantity=3, unit_cost=9)])

    assert row_at(batch, 2)["errors"] == [
        "Opening quantity: OF-001 already has stock moves in warehouse BJ01; use a receipt or a stocktake."
    ]
    with pytest.raises(ValidationError):
        services.part_import_commit(actor=keeper, batch=batch)
    assert StockBalance.objects.get(part=part, warehouse=warehouse).on_hand == Decimal("5.00")


def test_the_same_opening_stock_imported_twice_is_refused_the_second_time(keeper, branch, warehouse):
    rows = [sheet_row("X-1", "灯泡", quantity=3, unit_cost=10)]
    services.part_import_commit(actor=keeper, batch=preview(keeper, branch, rows))

    again = preview(keeper, branch, rows)

    assert again.error_count == 1
    assert "already has stock moves" in row_at(again, 2)["errors"][0]
    with pytest.raises(ValidationError):
        services.part_import_commit(actor=keeper, batch=again)
    assert StockBalance.objects.get(part__code="X-1", warehouse=warehouse).on_hand == Decimal("3.00")
    assert GoodsReceipt.objects.count() == 1


def test_stock_received_between_preview_and_commit_is_caught_at_commit(keeper, branch, warehouse, part, stock):
    batch = preview(keeper, branch, [sheet_row("OF-001", quantity=3, unit_cost=9)])
    stock(warehouse, part, 1)

    with pytest.raises(ValidationError) as caught:
        services.part_import_commit(actor=keeper, batch=batch)

    assert "line 2" in caught.value.messages[0]
    batch.refresh_from_db()
    assert (batch.status, batch.error_count) == (ImportStatus.PREVIEWED, 1)
    assert "already has stock moves" in row_at(batch, 2)["errors"][0]
    assert StockBalance.objects.get(part=part, warehouse=warehouse).on_hand == Decimal("1.00")


def test_a_receipt_landing_after_the_recheck_still_refuses_the_opening_stock(
    keeper, branch, warehouse, part, stock, monkeypatch
):
    batch = preview(keeper, branch, [sheet_row("OF-001", retail_price=70, quantity=3, unit_cost=9)])
    real_recheck = services._recheck

    def a_receipt_wins_the_race(batch, actor):
        rows = real_recheck(batch, actor)
        stock(warehouse, part, 1)
        return rows

    monkeypatch.setattr(services, "_recheck", a_receipt_wins_the_race)

    with pytest.raises(Conflict) as caught:
        services.part_import_commit(actor=keeper, batch=batch)

    assert str(caught.value.message).startswith("Line 2: Opening quantity: OF-001 already has stock moves")
    part.refresh_from_db()
    assert part.retail_price == Decimal("58.00")
    assert StockBalance.objects.get(part=part, warehouse=warehouse).on_hand == Decimal("1.00")
    assert PartImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


def test_a_part_created_between_preview_and_commit_is_updated_instead(keeper, branch):
    batch = preview(keeper, branch, [sheet_row("X-1", "灯泡", retail_price=25)])
    PartFactory(code="X-1", name="H7灯泡")

    result = services.part_import_commit(actor=keeper, batch=batch)

    assert (result.created, result.updated) == (0, 1)
    assert Part.objects.get(code="X-1").name == "灯泡"


def test_a_failure_while_saving_rolls_back_every_row(keeper, branch, supplier, spare_warehouse, monkeypatch):
    from aftersales.parts.services import receipts

    batch = preview(keeper, branch, good_rows())
    real = receipts.stock_receive
    calls = []

    def failing_on_the_second_receipt(**kwargs):
        calls.append(kwargs["warehouse"])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(receipts, "stock_receive", failing_on_the_second_receipt)

    with pytest.raises(RuntimeError):
        services.part_import_commit(actor=keeper, batch=batch)

    assert saved() == (0, 0, 0)
    assert PartImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


def test_checking_a_sheet_takes_the_same_queries_for_3_rows_as_for_30(keeper, branch, warehouse, supplier):
    for i in range(0, 30, 2):
        PartFactory(code=f"Q-{i}")  # every other row updates a part

    def queries(n):
        rows = [
            sheet_row(f"Q-{i}", "配件", supplier="BOSCH", warehouse="BJ01", bin="A-01", quantity=1, unit_cost=1)
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            preview(keeper, branch, rows)
        return len(captured)

    queries(1)  # the user's roles and branches are read once and kept on the user
    assert queries(3) == queries(30) <= 9


# -- the file -----------------------------------------------------------------------------------------------------------


def file_error(actor, branch, upload) -> str:
    with pytest.raises(ValidationError) as caught:
        services.part_import_preview(actor=actor, branch=branch, upload=upload)
    assert set(caught.value.message_dict) == {"file"}
    assert PartImport.objects.count() == 0
    return caught.value.message_dict["file"][0]


def test_a_file_that_is_not_xlsx_is_refused(keeper, branch):
    upload = SimpleUploadedFile("parts.csv", "配件编码,名称\nX-1,灯泡\n".encode(), content_type="text/csv")

    assert ".xlsx" in file_error(keeper, branch, upload)


def test_a_text_file_renamed_to_xlsx_is_refused(keeper, branch):
    upload = SimpleUploadedFile("parts.xlsx", "配件编码,名称\nX-1,灯泡\n".encode())

    assert "not an xlsx workbook" in file_error(keeper, branch, upload)


def test_an_unknown_column_refuses_the_file_naming_it(keeper, branch):
    message = file_error(keeper, branch, xlsx_upload([[*ZH_HEADERS, "颜色"], [*sheet_row("X-1", "灯泡"), "红"]]))

    assert "颜色" in message


def test_a_sheet_without_the_code_column_is_refused(keeper, branch):
    assert file_error(keeper, branch, xlsx_upload([["名称"], ["灯泡"]])) == "The sheet has no “Part code” column."


def test_a_sheet_with_headers_only_is_refused(keeper, branch):
    assert "no parts" in file_error(keeper, branch, xlsx_upload([ZH_HEADERS]))


def test_the_template_headers_are_accepted_in_both_languages():
    assert map_headers(ZH_HEADERS) == map_headers(EN_HEADERS) == {key: index for index, key in enumerate(KEYS)}


# -- who may import -----------------------------------------------------------------------------------------------------


def test_a_branch_the_user_does_not_work_for_is_refused(keeper, other_branch):
    with pytest.raises(ValidationError) as caught:
        preview(keeper, other_branch, [sheet_row("X-1", "灯泡")])

    assert set(caught.value.message_dict) == {"branch"}


@pytest.mark.parametrize("role", ["service_advisor", "technician", "finance"])
def test_roles_without_import_part_can_neither_preview_nor_commit(person, branch, keeper, role):
    batch = preview(keeper, branch, [sheet_row("X-1", "灯泡")])
    someone = person(role)

    with pytest.raises(PermissionDenied):
        preview(someone, branch, [sheet_row("X-1", "灯泡")])
    with pytest.raises(PermissionDenied):
        services.part_import_commit(actor=someone, batch=batch)
    assert saved() == (0, 0, 0)


def test_opening_stock_needs_the_receive_stock_permission_too(keeper, branch):
    batch = preview(keeper, branch, [sheet_row("X-1", "灯泡", quantity=2, unit_cost=5)])
    real_has_perm = type(keeper).has_perm
    keeper.has_perm = lambda perm, obj=None: perm != "parts.receive_stock" and real_has_perm(keeper, perm, obj)

    with pytest.raises(PermissionDenied):
        preview(keeper, branch, [sheet_row("X-2", "灯泡", quantity=2, unit_cost=5)])
    with pytest.raises(PermissionDenied):
        services.part_import_commit(actor=keeper, batch=batch)
    assert preview(keeper, branch, [sheet_row("X-3", "灯泡")]).valid  # a catalogue-only sheet is fine
    assert saved() == (0, 0, 0)


def test_a_keeper_of_another_branch_cannot_commit_or_discard_the_batch(keeper, person, branch, other_branch, pages):
    batch = preview(keeper, branch, [sheet_row("X-1", "灯泡", quantity=1, unit_cost=1)])
    shanghai = person("parts_keeper", branch=other_branch)

    with pytest.raises(Http404):
        services.part_import_commit(actor=shanghai, batch=batch)
    client = pages(shanghai)
    assert client.get(reverse("parts:part_import_preview", args=[batch.pk])).status_code == 404
    assert client.post(reverse("parts:part_import_commit", args=[batch.pk])).status_code == 404
    assert client.post(reverse("parts:part_import_discard", args=[batch.pk])).status_code == 404
    assert saved() == (0, 0, 0)
    assert PartImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


def test_a_batch_cannot_be_committed_twice_or_after_a_discard(keeper, branch):
    batch = preview(keeper, branch, [sheet_row("X-1", "灯泡", quantity=1, unit_cost=1)])
    stale = PartImport.objects.get(pk=batch.pk)
    services.part_import_commit(actor=keeper, batch=batch)

    with pytest.raises(Conflict):
        services.part_import_commit(actor=keeper, batch=stale)
    with pytest.raises(Conflict):
        services.part_import_discard(actor=keeper, batch=stale)
    assert saved() == (1, 1, 1)

    dropped = preview(keeper, branch, [sheet_row("X-2", "灯泡")])
    services.part_import_discard(actor=keeper, batch=dropped)
    assert PartImport.objects.get(pk=dropped.pk).status == ImportStatus.DISCARDED
    with pytest.raises(Conflict):
        services.part_import_commit(actor=keeper, batch=dropped)
    assert not Part.objects.filter(code="X-2").exists()


# -- the pages ----------------------------------------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def upload(client, branch, rows, headers=ZH_HEADERS, name="parts.xlsx"):
    return client.post(reverse("parts:part_import"), {"branch": branch.pk, "file": xlsx_upload([headers, *rows], name)})


def test_upload_preview_and_commit_through_the_pages(keeper, branch, supplier, spare_warehouse, pages):
    client = pages(keeper)
    assert client.get(reverse("parts:part_import")).status_code == 200

    response = upload(client, branch, good_rows())
    batch = PartImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("parts:part_import_preview", args=[batch.pk])

    page = client.get(response["Location"])
    assert messages_of(page) == ["The sheet has been checked."]
    html = page.content.decode()
    assert "Import 4 rows" in html
    assert reverse("parts:part_import_commit", args=[batch.pk]) in html
    assert "OF-15400" in html and "PAINT-01" in html and "BJ01-BP / A-01-01" in html
    assert saved() == (0, 0, 0)

    done = client.post(reverse("parts:part_import_commit", args=[batch.pk]), follow=True)
    assert messages_of(done) == ["Imported 4 rows: 4 new parts, 0 updated, 2 opening stock receipts."]
    assert "This sheet is Imported." in done.content.decode()
    assert saved() == (4, 3, 2)


def test_a_bad_row_shows_on_the_preview_page_and_a_forced_commit_imports_nothing(keeper, branch, pages):
    client = pages(keeper)
    upload(client, branch, [sheet_row("X-1", "灯泡"), sheet_row("X-2", quantity=2)])
    batch = PartImport.objects.get()

    page = client.get(reverse("parts:part_import_preview", args=[batch.pk]))

    html = page.content.decode()
    assert "1 row has errors" in html
    assert "Name: required for a new part." in html
    assert reverse("parts:part_import_commit", args=[batch.pk]) not in html
    assert [row["line"] for row in page.context["bad_rows"]] == [3]

    forced = client.post(reverse("parts:part_import_commit", args=[batch.pk]), follow=True)
    [message] = messages_of(forced)
    assert "nothing was imported" in message and "line 3" in message
    assert saved() == (0, 0, 0)


def test_a_non_xlsx_upload_shows_the_error_beside_the_file_field(keeper, branch, pages):
    response = pages(keeper).post(
        reverse("parts:part_import"), {"branch": branch.pk, "file": SimpleUploadedFile("parts.xls", b"abc")}
    )

    assert response.status_code == 200
    assert ".xlsx" in response.context["form"].errors["file"][0]
    assert PartImport.objects.count() == 0


def test_discard_through_the_page(keeper, branch, pages):
    client = pages(keeper)
    upload(client, branch, [sheet_row("X-1", "灯泡")])
    batch = PartImport.objects.get()

    response = client.post(reverse("parts:part_import_discard", args=[batch.pk]), follow=True)

    assert response.redirect_chain == [(reverse("parts:part_import"), 302)]
    assert messages_of(response)[-1] == "The sheet was discarded; nothing was imported."
    assert PartImport.objects.get().status == ImportStatus.DISCARDED


def test_the_template_download_round_trips_through_the_import(keeper, branch, warehouse, supplier, pages):
    response = pages(keeper).get(reverse("parts:part_import_template"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == EN_HEADERS
    batch = services.part_import_preview(
        actor=keeper, branch=branch, upload=SimpleUploadedFile("template.xlsx", response.content)
    )
    assert (batch.row_count, batch.error_count) == (1, 0)


@pytest.mark.parametrize("role", ["service_advisor", "finance", "regional_manager"])
def test_the_import_pages_answer_403_to_roles_without_import_part(person, role, pages):
    client = pages(person(role))

    assert client.get(reverse("parts:part_import")).status_code == 403
    assert client.get(reverse("parts:part_import_template")).status_code == 403
