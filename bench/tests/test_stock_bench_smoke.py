"""The stock benchmark's code on a few hundred moves, so that it cannot rot between benchmark runs."""

import datetime as dt
from decimal import Decimal

import pytest

from aftersales.parts.choices import MoveKind
from aftersales.parts.models import GoodsReceipt, StockBalance, StockMove
from bench.stock import report_timings
from bench.stock_seed import (
    TIMELINE_START,
    ledger_mismatches,
    stock_bench_setup,
    stock_post_workload,
    stock_receive_workload,
    stock_seed,
    workload_for,
)


@pytest.fixture
def bench(db):
    return stock_bench_setup(parts=12, warehouses=2)


def _available(bench) -> dict:
    index_of_part = {pk: i for i, pk in enumerate(bench.part_ids)}
    index_of_warehouse = {pk: i for i, pk in enumerate(bench.warehouse_ids)}
    return {
        (index_of_part[b.part_id], index_of_warehouse[b.warehouse_id]): b.available
        for b in StockBalance.objects.all()
        if b.available
    }


def test_posting_the_workload_through_stock_post_keeps_the_ledger_equal_to_the_balances(bench):
    workload = workload_for(bench, seed=1)

    result = stock_post_workload(bench, workload, moves=300, batch=50)

    assert result.moves == 300 and result.batches == 6 and result.seconds > 0
    assert StockMove.objects.count() == 300
    assert ledger_mismatches() == []
    kinds = set(StockMove.objects.values_list("kind", flat=True))
    assert {MoveKind.RECEIPT, MoveKind.ISSUE, MoveKind.RETURN, MoveKind.TRANSFER_OUT, MoveKind.TRANSFER_IN} <= kinds
    # the generator's mirror is what the ledger holds, so it never asks for stock that is not there
    assert {k: v for k, v in workload.on_hand.items() if v} == _available(bench)


def test_the_seed_tops_the_ledger_up_and_never_posts_twice(db):
    first = stock_seed(moves=120, parts=10, warehouses=2, batch=50)
    again = stock_seed(moves=120, parts=10, warehouses=2, batch=50)
    more = stock_seed(moves=200, parts=10, warehouses=2, batch=50)

    assert (first.moves_before, first.moves_created) == (0, 120)
    assert (again.moves_before, again.moves_created) == (120, 0)
    assert (more.moves_before, more.moves_created) == (120, 80)
    assert StockMove.objects.count() == 200
    assert ledger_mismatches() == []
    dates = list(StockMove.objects.order_by("id").values_list("posted_at", flat=True))
    assert dates == sorted(dates) and dates[0] == TIMELINE_START and dates[-1] < TIMELINE_START + dt.timedelta(days=1)


def test_multi_line_receipts_post_one_move_per_line(bench):
    workload = workload_for(bench, seed=3)

    result = stock_receive_workload(bench, workload, receipts=3, lines=5)

    assert (result.moves, result.batches) == (15, 3)
    assert GoodsReceipt.objects.count() == 3
    assert StockMove.objects.filter(kind=MoveKind.RECEIPT).count() == 15
    assert ledger_mismatches() == []
    assert sum(StockBalance.objects.values_list("on_hand", flat=True), Decimal(0)) == sum(workload.on_hand.values())


def test_report_timings_time_both_reports_over_the_bench_ledger(bench):
    stock_post_workload(bench, workload_for(bench, seed=2), moves=200, batch=100, dated=0)

    answer = report_timings(bench, runs=2, date_from=dt.date(2024, 11, 1), date_to=dt.date(2024, 11, 30))

    assert answer["moves"] == 200
    for key in ("valuation", "turnover"):
        assert len(answer[key]["seconds"]) == 2 and all(s > 0 for s in answer[key]["seconds"])
        assert answer[key]["queries"] >= 1
