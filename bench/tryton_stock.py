"""Tryton's side of the stock benchmark: run by the Tryton virtualenv's interpreter, never by the project's.

    var/bench/tryton-venv/bin/python bench/tryton_stock.py --config CONF --database DB setup --parts 2000
    var/bench/tryton-venv/bin/python bench/tryton_stock.py --config CONF --database DB post --moves 4500

`setup` (once, on a database initialised with `trytond-admin --all -u stock`): a company in yuan, the
admin user working for it, one storage location per bench warehouse (children of Tryton's `STO`), and
P goods products whose cost price method is `average`. `post`: the same workload as ours
(`bench.stock_workload`, same seed, same mix), through Tryton's Python API: per batch one transaction,
`Move.create` then `Move.do`, committed. Receipts come from the supplier location at the workload's
cost (Tryton recomputes the product's average cost on each), issues go to the customer location,
returns come back from it, transfers go from one storage location to another. Issues are done
straight from draft (no `assign_try`, so no availability check or table lock), which spares Tryton
work our ledger does (it checks stock under a row lock).

Prints one JSON line per batch (`{"before": moves already posted, "moves": n, "seconds": s}`) and stops
after `--moves` moves or `--timeout` seconds, whichever comes first.
"""

import argparse
import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stock_workload import ISSUE, RECEIPT, RETURN, TRANSFER, Workload, base_cost  # noqa: E402

PRODUCT_PREFIX = "BST-"
LOCATION_PREFIX = "BENCH-WH"
UNIT_SYMBOL = "bpc"


def start(config: str, database: str):
    import trytond.config

    # trytond 7.x keeps the parser as `trytond.config.config`; 8.x makes the module itself the parser.
    parser = getattr(trytond.config, "update_etc", None) and trytond.config
    (parser or trytond.config.config).update_etc(config)
    from trytond.pool import Pool

    Pool.start()
    pool = Pool(database)
    pool.init()
    return pool


def admin_context(pool, database: str):
    from trytond.transaction import Transaction

    with Transaction().start(database, 0, readonly=True):
        User = pool.get("res.user")
        (admin,) = User.search([("login", "=", "admin")])
        admin_id = admin.id
    with Transaction().start(database, admin_id, readonly=True):
        context = User.get_preferences(context_only=True)
    return admin_id, context


def setup(pool, database: str, *, parts: int, warehouses: int) -> dict:
    from trytond.transaction import Transaction

    with Transaction().start(database, 0) as transaction:
        Currency = pool.get("currency.currency")
        Rate = pool.get("currency.currency.rate")
        Party = pool.get("party.party")
        Company = pool.get("company.company")
        User = pool.get("res.user")
        Location = pool.get("stock.location")
        Uom = pool.get("product.uom")
        Template = pool.get("product.template")

        company = Company.search([], limit=1)
        if company:
            company = company[0]
        else:
            (currency,) = Currency.create([{"name": "Yuan", "code": "CNY", "symbol": "¥", "digits": 2}])
            Rate.create([{"currency": currency.id, "rate": Decimal(1), "date": dt.date(2000, 1, 1)}])
            (party,) = Party.create([{"name": "Bench Motors", "addresses": [("create", [{}])]}])
            (company,) = Company.create([{"party": party.id, "currency": currency.id}])
        (admin,) = User.search([("login", "=", "admin")])
        User.write([admin], {"companies": [("add", [company.id])], "company": company.id})

        (storage,) = Location.search([("code", "=", "STO")])
        have = {loc.code for loc in Location.search([("code", "like", f"{LOCATION_PREFIX}%")])}
        Location.create(
            [
                {"name": f"Bench warehouse {n}", "code": f"{LOCATION_PREFIX}{n}", "type": "storage", "parent": storage}
                for n in range(1, warehouses + 1)
                if f"{LOCATION_PREFIX}{n}" not in have
            ]
        )
        transaction.commit()

    admin_id, context = admin_context(pool, database)
    with Transaction().start(database, admin_id, context=context) as transaction:
        Product = pool.get("product.product")
        unit = Uom.search([("symbol", "=", UNIT_SYMBOL)])
        if not unit:
            # Tryton's "Unit" takes whole numbers; ours take two decimals (litres of oil): a unit that does too.
            (units,) = Uom.search([("name", "=", "Unit")])
            unit = Uom.create(
                [
                    {
                        "name": "Bench piece",
                        "symbol": UNIT_SYMBOL,
                        "category": units.category.id,
                        "factor": 1,
                        "rate": 1,
                        "rounding": 0.01,
                        "digits": 2,
                    }
                ]
            )
        (unit,) = unit
        have = {p.code for p in Product.search([("code", "like", f"{PRODUCT_PREFIX}%")])}
        missing = [n for n in range(parts) if f"{PRODUCT_PREFIX}{n + 1:05d}" not in have]
        for start_at in range(0, len(missing), 500):
            Template.create(
                [
                    {
                        "name": f"Bench part {n + 1:05d}",
                        "type": "goods",
                        "default_uom": unit.id,
                        "list_price": (base_cost(n) * Decimal("1.35")).quantize(Decimal("0.0001")),
                        "cost_price_method": "average",
                        "products": [("create", [{"suffix_code": f"{n + 1:05d}"}])],
                        "code": PRODUCT_PREFIX,
                    }
                    for n in missing[start_at : start_at + 500]
                ]
            )
        transaction.commit()
        products = Product.search([("code", "like", f"{PRODUCT_PREFIX}%")])
        methods = {p.template.get_multivalue("cost_price_method", company=context["company"]) for p in products}
    return {"products": len(products), "cost_price_methods": sorted(methods), "company": context["company"]}


def post(pool, database: str, *, parts: int, warehouses: int, moves: int, batch: int, timeout: float, seed: int):
    from trytond.transaction import Transaction

    admin_id, context = admin_context(pool, database)
    with Transaction().start(database, admin_id, context=context, readonly=True):
        Product = pool.get("product.product")
        Location = pool.get("stock.location")
        Move = pool.get("stock.move")
        Company = pool.get("company.company")
        company = Company(context["company"])
        currency_id = company.currency.id
        by_code = {p.code: p for p in Product.search([("code", "like", f"{PRODUCT_PREFIX}%")])}
        products = [by_code[f"{PRODUCT_PREFIX}{n + 1:05d}"] for n in range(parts)]
        product_ids = [p.id for p in products]
        unit_ids = [p.default_uom.id for p in products]
        list_prices = [p.template.list_price for p in products]
        codes = {loc.code: loc.id for loc in Location.search([])}
        storages = [codes[f"{LOCATION_PREFIX}{n}"] for n in range(1, warehouses + 1)]
        supplier, customer = codes["SUP"], codes["CUS"]
        already = Move.search_count([("state", "=", "done")])

    workload = Workload(parts=parts, warehouses=warehouses, seed=seed)
    today = dt.date.today()

    def values(part, source, destination, quantity, unit_price=None):
        row = {
            "product": product_ids[part],
            "unit": unit_ids[part],
            "quantity": float(quantity),
            "from_location": source,
            "to_location": destination,
            "company": company.id,
            "planned_date": today,
            "effective_date": today,
        }
        if unit_price is not None:  # a price (and its currency) only where Tryton requires one
            row.update(unit_price=unit_price, currency=currency_id)
        return row

    posted, started = 0, time.monotonic()
    while posted < moves and time.monotonic() - started < timeout:
        rows = []
        for op in workload.batch(min(batch, moves - posted)):
            here = storages[op.warehouse]
            if op.kind == RECEIPT:
                rows.append(values(op.part, supplier, here, op.quantity, op.unit_cost))
            elif op.kind == ISSUE:
                rows.append(values(op.part, here, customer, op.quantity, list_prices[op.part]))
            elif op.kind == RETURN:
                rows.append(values(op.part, customer, here, op.quantity, list_prices[op.part]))
            elif op.kind == TRANSFER:
                rows.append(values(op.part, here, storages[op.to_warehouse], op.quantity))
        began = time.perf_counter()
        with Transaction().start(database, admin_id, context=context) as transaction:
            Move = pool.get("stock.move")
            Move.do(Move.create(rows))
            transaction.commit()
        seconds = time.perf_counter() - began
        print(json.dumps({"before": already + posted, "moves": len(rows), "seconds": seconds}), flush=True)
        posted += len(rows)
    return {"posted": posted, "ledger": already + posted}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--warehouses", type=int, default=3)
    parser.add_argument("command", choices=["setup", "post"])
    parser.add_argument("--moves", type=int, default=4500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pool = start(args.config, args.database)
    if args.command == "setup":
        result = setup(pool, args.database, parts=args.parts, warehouses=args.warehouses)
    else:
        result = post(
            pool,
            args.database,
            parts=args.parts,
            warehouses=args.warehouses,
            moves=args.moves,
            batch=args.batch,
            timeout=args.timeout,
            seed=args.seed,
        )
    print(json.dumps({"done": result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
