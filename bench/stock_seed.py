"""Stock ledger data for the benchmark, and the timed posting loops.

`stock_bench_setup` makes the catalogue and places: the bench region's stores (`bench.seed.bench_branches`),
each store's default warehouse, P parts (`BST-00001` …, bulk-inserted: the catalogue is not what is
measured), and a superuser `bench-stock` who posts. `stock_seed` then tops the ledger up to N moves by
posting the workload of `bench.stock_workload` through `aftersales.parts.services.ledger.stock_post`, in
batches, each batch one transaction, exactly as the application posts. Nothing is bulk-inserted into
the ledger: every balance, average cost and `on_hand_after` is the service's own.

The ledger's moves are dated over two years (`TIMELINE_START` + move number × `TIMELINE_STEP`, so a
million moves end two years after the start), which gives the turnover report's period filter
something to filter. Re-running continues where the last run stopped: the next batch's date and the
generator's random seed follow from the number of moves already there, and the generator's mirror
of the stock is loaded from the balances.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Sum

from aftersales.org.models import User
from aftersales.parts.choices import MoveKind
from aftersales.parts.models import Part, StockBalance, StockMove, Warehouse
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.ledger import MoveRequest, stock_post
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from bench.seed import bench_branches
from bench.stock_workload import ISSUE, RECEIPT, RETURN, TRANSFER, Op, Workload, base_cost

ACTOR = "bench-stock"
PART_PREFIX = "BST-"
CATEGORIES = ("滤清器", "制动", "点火", "悬挂", "电器", "车身", "油液", "轮胎", "空调", "传动")
TIMELINE_START = dt.datetime(2024, 11, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
TIMELINE_STEP = dt.timedelta(days=730) / 1_000_000


@dataclass
class StockBench:
    """What the workload's indexes stand for in this database."""

    actor: User
    part_ids: list[int]
    warehouse_ids: list[int]

    @property
    def parts(self) -> int:
        return len(self.part_ids)

    @property
    def warehouses(self) -> int:
        return len(self.warehouse_ids)


def stock_bench_setup(*, parts: int = 2000, warehouses: int = 3) -> StockBench:
    """The bench's superuser, `warehouses` store warehouses and `parts` parts; missing ones are created."""
    actor = User.objects.filter(username=ACTOR).first()
    if actor is None:
        actor = User.objects.create_superuser(username=ACTOR, password=None, first_name="压测仓管")
    _region, stores = bench_branches(warehouses)
    warehouse_ids = [warehouse_default_for(store).pk for store in stores]
    codes = [f"{PART_PREFIX}{number:05d}" for number in range(1, parts + 1)]
    existing = set(Part.objects.filter(code__in=codes).values_list("code", flat=True))
    Part.objects.bulk_create(
        [
            Part(
                code=code,
                name=f"压测配件{index + 1:05d}",
                category=CATEGORIES[index % len(CATEGORIES)],
                brand="BENCH",
                retail_price=(base_cost(index) * Decimal("1.35")).quantize(Decimal("0.01")),
            )
            for index, code in enumerate(codes)
            if code not in existing
        ],
        batch_size=1000,
    )
    ids = dict(Part.objects.filter(code__in=codes).values_list("code", "pk"))
    return StockBench(actor=actor, part_ids=[ids[code] for code in codes], warehouse_ids=warehouse_ids)


def workload_for(bench: StockBench, *, seed: int) -> Workload:
    """A generator whose mirror of the stock is what the balances hold now."""
    part_index = {pk: index for index, pk in enumerate(bench.part_ids)}
    warehouse_index = {pk: index for index, pk in enumerate(bench.warehouse_ids)}
    on_hand = {
        (part_index[p], warehouse_index[w]): available
        for p, w, on_hand, reserved in StockBalance.objects.filter(
            part_id__in=bench.part_ids, warehouse_id__in=bench.warehouse_ids
        ).values_list("part_id", "warehouse_id", "on_hand", "reserved")
        if (available := on_hand - reserved) > 0
    }
    return Workload(parts=bench.parts, warehouses=bench.warehouses, seed=seed, on_hand=on_hand)


def move_requests(bench: StockBench, ops: list[Op], reference: str) -> list[MoveRequest]:
    """The service layer's requests for a batch of operations (a transfer: out, then in at the same value)."""
    requests = []
    for op in ops:
        part, warehouse = bench.part_ids[op.part], bench.warehouse_ids[op.warehouse]
        if op.kind == RECEIPT:
            requests.append(
                MoveRequest(
                    part_id=part,
                    warehouse_id=warehouse,
                    kind=MoveKind.RECEIPT,
                    quantity=op.quantity,
                    unit_cost=op.unit_cost,
                    reference=reference,
                    document_type="receipt",
                )
            )
        elif op.kind == ISSUE:
            requests.append(
                MoveRequest(
                    part_id=part,
                    warehouse_id=warehouse,
                    kind=MoveKind.ISSUE,
                    quantity=-op.quantity,
                    reference=reference,
                    document_type="issue",
                )
            )
        elif op.kind == RETURN:
            requests.append(
                MoveRequest(
                    part_id=part,
                    warehouse_id=warehouse,
                    kind=MoveKind.RETURN,
                    quantity=op.quantity,
                    reference=reference,
                    document_type="return",
                )
            )
        elif op.kind == TRANSFER:
            destination = bench.warehouse_ids[op.to_warehouse]
            requests += [
                MoveRequest(
                    part_id=part,
                    warehouse_id=warehouse,
                    kind=MoveKind.TRANSFER_OUT,
                    quantity=-op.quantity,
                    reference=reference,
                    document_type="transfer",
                ),
                MoveRequest(
                    part_id=part,
                    warehouse_id=destination,
                    kind=MoveKind.TRANSFER_IN,
                    quantity=op.quantity,
                    mirror_previous=True,
                    reference=reference,
                    document_type="transfer",
                ),
            ]
    return requests


def timeline_at(move_number: int) -> dt.datetime:
    return TIMELINE_START + TIMELINE_STEP * move_number


@dataclass(frozen=True)
class PostResult:
    moves: int
    seconds: float
    batches: int

    @property
    def rate(self) -> float:
        return self.moves / self.seconds if self.seconds else 0.0


def stock_post_workload(
    bench: StockBench,
    workload: Workload,
    *,
    moves: int,
    batch: int = 500,
    dated: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PostResult:
    """Post `moves` moves of the workload through `stock_post`, `batch` moves per call (one transaction each).

    `dated`: the move number the first batch is dated at on the timeline (None: posted now). Only the
    `stock_post` calls are timed, not the generator.
    """
    done, seconds, batches = 0, 0.0, 0
    while done < moves:
        size = min(batch, moves - done)
        ops = workload.batch(size)
        requests = move_requests(bench, ops, reference=f"BENCH-{batches + 1:06d}")
        posted_at = None if dated is None else timeline_at(dated + done)
        started = time.perf_counter()
        stock_post(actor=bench.actor, requests=requests, posted_at=posted_at)
        seconds += time.perf_counter() - started
        done += len(requests)
        batches += 1
        if progress:
            progress(done)
    return PostResult(moves=done, seconds=seconds, batches=batches)


def stock_receive_workload(bench: StockBench, workload: Workload, *, receipts: int, lines: int) -> PostResult:
    """`receipts` goods receipts through `stock_receive`, each of `lines` different parts into one warehouse."""
    warehouses = {w.pk: w for w in Warehouse.objects.filter(pk__in=bench.warehouse_ids)}
    parts = {p.pk: p for p in Part.objects.filter(pk__in=bench.part_ids)}
    seconds, moves = 0.0, 0
    for number in range(receipts):
        warehouse = number % bench.warehouses
        chosen = workload.rng.sample(range(bench.parts), min(lines, bench.parts))
        receipt_lines = []
        for part in chosen:
            quantity = Decimal(workload.rng.randint(1, 10))
            cost = (workload.costs[part] * Decimal(workload.rng.uniform(0.85, 1.15))).quantize(Decimal("0.01"))
            workload.on_hand[(part, warehouse)] = workload.on_hand.get((part, warehouse), Decimal(0)) + quantity
            receipt_lines.append(ReceiptLineIn(part=parts[bench.part_ids[part]], quantity=quantity, unit_cost=cost))
        started = time.perf_counter()
        stock_receive(actor=bench.actor, warehouse=warehouses[bench.warehouse_ids[warehouse]], lines=receipt_lines)
        seconds += time.perf_counter() - started
        moves += len(receipt_lines)
    return PostResult(moves=moves, seconds=seconds, batches=receipts)


@dataclass(frozen=True)
class SeedResult:
    moves_before: int
    moves_created: int
    seconds: float


def stock_seed(
    *,
    moves: int,
    parts: int = 2000,
    warehouses: int = 3,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Top the ledger up to `moves` moves through `stock_post`, `batch` a call (never deletes, never posts twice)."""
    bench = stock_bench_setup(parts=parts, warehouses=warehouses)
    before = StockMove.objects.count()
    if before >= moves:
        return SeedResult(moves_before=before, moves_created=0, seconds=0.0)
    workload = workload_for(bench, seed=before)
    started = time.perf_counter()
    stock_post_workload(
        bench,
        workload,
        moves=moves - before,
        batch=batch,
        dated=before,
        progress=(lambda done: progress(before + done, moves)) if progress else None,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE parts_stockmove; ANALYZE parts_stockbalance")
    return SeedResult(moves_before=before, moves_created=moves - before, seconds=time.perf_counter() - started)


def ledger_mismatches(bench: StockBench | None = None) -> list[str]:
    """Balances whose on hand and value differ from the sum of their moves, or whose last move disagrees.

    Empty when the ledger is consistent. Also checks that no balance is negative (the constraints say so
    too) and that each balance's newest move carries the balance as `on_hand_after` / `value_after`.
    """
    last = {}
    if connection.vendor != "postgresql":  # SQLite sums decimals as floats: add them up exactly here
        sums = {}
        for part, warehouse, quantity, value in StockMove.objects.values_list(
            "part_id", "warehouse_id", "quantity", "value"
        ):
            row = sums.setdefault((part, warehouse), {"quantity": Decimal(0), "value": Decimal(0)})
            row["quantity"] += quantity
            row["value"] += value
    else:
        sums = {
            (row["part_id"], row["warehouse_id"]): row
            for row in StockMove.objects.values("part_id", "warehouse_id").annotate(
                quantity=Sum("quantity"), value=Sum("value"), moves=Count("id")
            )
        }
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT ON (part_id, warehouse_id) part_id, warehouse_id, on_hand_after, value_after "
                "FROM parts_stockmove ORDER BY part_id, warehouse_id, id DESC"
            )
            last = {(p, w): (q, v) for p, w, q, v in cursor.fetchall()}
    problems = []
    for balance in StockBalance.objects.all():
        key = (balance.part_id, balance.warehouse_id)
        row = sums.pop(key, None)
        quantity, value = (row["quantity"], row["value"]) if row else (Decimal(0), Decimal(0))
        if quantity != balance.on_hand or value != balance.value:
            problems.append(f"{key}: balance {balance.on_hand} / {balance.value}, moves add to {quantity} / {value}")
        if balance.on_hand < 0 or balance.value < 0 or balance.reserved > balance.on_hand:
            problems.append(f"{key}: negative or over-reserved balance {balance.on_hand} / {balance.value}")
        if key in last and last[key] != (balance.on_hand, balance.value):
            problems.append(f"{key}: newest move says {last[key]}, balance {balance.on_hand} / {balance.value}")
    problems += [f"{key}: moves without a balance" for key in sums]
    return problems
