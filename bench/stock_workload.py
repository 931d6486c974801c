"""The stock benchmark's workload: a deterministic mix of moves over P parts × W warehouses, in plain Python.

No Django here: the same generator feeds our service layer (`bench.stock_seed`) and Tryton's stock
module (`bench.tryton_stock`, run by Tryton's own interpreter), so both post the same kind of moves.

The mix, by operation: 40 % receipts from a supplier at a cost within ±15 % of the part's base cost,
50 % issues, 5 % returns (at the balance's average cost), 5 % transfers to another warehouse (two
moves: out and in). An issue or a transfer only takes what the generator's own mirror of the stock
says is there, so none is refused: the benchmark measures posting, not refusing. When no stock is
found after a few tries, the operation becomes a receipt.
"""

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RECEIPT, ISSUE, RETURN, TRANSFER = "receipt", "issue", "return", "transfer"
#: Cumulative shares of the operations (a transfer is one operation and two moves).
MIX = ((0.40, RECEIPT), (0.90, ISSUE), (0.95, RETURN), (1.00, TRANSFER))
FEN = Decimal("0.01")
ZERO = Decimal("0")
TRIES = 6


@dataclass(frozen=True)
class Op:
    """One operation: `part` and `warehouse` are indexes (0-based), `quantity` is positive."""

    kind: str
    part: int
    warehouse: int
    quantity: Decimal
    unit_cost: Decimal | None = None  # receipts only
    to_warehouse: int | None = None  # transfers only

    @property
    def moves(self) -> int:
        return 2 if self.kind == TRANSFER else 1


def base_cost(part: int) -> Decimal:
    """A part's list cost, 5–1,500 yuan, the same for a part index on every run and on both systems."""
    rng = random.Random(part * 7919 + 17)
    return (Decimal(rng.randint(500, 150_000)) / 100).quantize(FEN)


class Workload:
    """Generates batches of operations and keeps a mirror of the on-hand quantity they leave.

    `on_hand` maps (part index, warehouse index) to the quantity there now (load it from the database
    before generating more for an existing ledger).
    """

    def __init__(self, *, parts: int, warehouses: int, seed: int, on_hand: dict | None = None):
        if parts < 1 or warehouses < 2:
            raise ValueError("the workload needs at least 1 part and 2 warehouses")
        self.parts, self.warehouses = parts, warehouses
        self.rng = random.Random(seed)
        self.on_hand: dict[tuple[int, int], Decimal] = dict(on_hand or {})
        self.costs = [base_cost(p) for p in range(parts)]

    def _key(self) -> tuple[int, int]:
        return self.rng.randrange(self.parts), self.rng.randrange(self.warehouses)

    def _stocked_key(self, at_least: Decimal) -> tuple[int, int] | None:
        for _ in range(TRIES):
            key = self._key()
            if self.on_hand.get(key, ZERO) >= at_least:
                return key
        return None

    def _receipt(self) -> Op:
        part, warehouse = self._key()
        quantity = Decimal(self.rng.randint(1, 10))
        if self.rng.random() < 0.1:
            quantity += Decimal("0.5")  # litres of oil, metres of hose
        cost = (self.costs[part] * Decimal(self.rng.uniform(0.85, 1.15))).quantize(FEN, rounding=ROUND_HALF_UP)
        self.on_hand[(part, warehouse)] = self.on_hand.get((part, warehouse), ZERO) + quantity
        return Op(RECEIPT, part, warehouse, quantity, unit_cost=cost)

    def _take(self, key: tuple[int, int], most: int) -> Decimal:
        have = self.on_hand[key]
        quantity = Decimal(self.rng.randint(1, max(1, min(most, int(have)))))
        self.on_hand[key] = have - quantity
        return quantity

    def op(self, room: int) -> Op:
        """The next operation; `room` is how many moves the batch still takes (a transfer needs 2)."""
        draw = self.rng.random()
        kind = next(kind for share, kind in MIX if draw < share)
        if kind == TRANSFER and room < 2:
            kind = ISSUE
        if kind == RECEIPT:
            return self._receipt()
        key = self._stocked_key(Decimal(1))
        if key is None:
            return self._receipt()
        part, warehouse = key
        if kind == ISSUE:
            return Op(ISSUE, part, warehouse, self._take(key, 4))
        if kind == RETURN:
            self.on_hand[key] += 1
            return Op(RETURN, part, warehouse, Decimal(1))
        to = (warehouse + 1 + self.rng.randrange(self.warehouses - 1)) % self.warehouses
        quantity = self._take(key, 3)
        self.on_hand[(part, to)] = self.on_hand.get((part, to), ZERO) + quantity
        return Op(TRANSFER, part, warehouse, quantity, to_warehouse=to)

    def batch(self, moves: int) -> list[Op]:
        """Operations making exactly `moves` moves."""
        ops, count = [], 0
        while count < moves:
            op = self.op(moves - count)
            ops.append(op)
            count += op.moves
        return ops
