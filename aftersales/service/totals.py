"""An order's money: line amounts and totals by payer. Pure functions over plain values.

Included in the totals: lines in the estimate and lines the customer consented to. Left out: lines added
after consent that still await it (`pending`, shown apart) and cancelled lines. The customer pays only the
lines whose payer is `customer`; warranty, insurance, internal and goodwill lines are billed elsewhere.
Amounts are rounded half up to the fen, line by line.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from aftersales.service.choices import Consent, LineKind, Payer

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
COUNTED = (Consent.ESTIMATE, Consent.APPROVED)


def line_amount(*, kind: str, hours=ZERO, rate=ZERO, quantity=ZERO, unit_price=ZERO) -> Decimal:
    """Hours × rate for labour, quantity × unit price for parts, half up to the fen."""
    value = Decimal(hours) * Decimal(rate) if kind == LineKind.LABOUR else Decimal(quantity) * Decimal(unit_price)
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    labour: Decimal
    parts: Decimal
    total: Decimal
    customer_payable: Decimal
    by_payer: dict[str, Decimal] = field(default_factory=dict)
    pending: Decimal = ZERO

    def as_json(self) -> dict[str, str]:
        return {
            "labour": str(self.labour),
            "parts": str(self.parts),
            "total": str(self.total),
            "customer_payable": str(self.customer_payable),
            "pending": str(self.pending),
            "by_payer": {payer: str(amount) for payer, amount in self.by_payer.items()},
        }


def order_totals(lines: Iterable) -> Totals:
    """Totals of lines (objects or dicts with kind, payer, consent, amount)."""
    labour = parts = pending = ZERO
    by_payer = {payer: ZERO for payer in Payer.values}
    for line in lines:
        get = line.get if isinstance(line, dict) else lambda name, line=line: getattr(line, name)
        amount = Decimal(get("amount"))
        if get("consent") == Consent.PENDING:
            pending += amount
            continue
        if get("consent") not in COUNTED:
            continue
        if get("kind") == LineKind.LABOUR:
            labour += amount
        else:
            parts += amount
        by_payer[get("payer")] += amount
    return Totals(
        labour=labour,
        parts=parts,
        total=labour + parts,
        customer_payable=by_payer[Payer.CUSTOMER],
        by_payer=by_payer,
        pending=pending,
    )
