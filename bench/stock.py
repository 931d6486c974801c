"""The stock ledger benchmark: posting rate, its growth with the ledger, the reports, and Tryton, in one run.

    .venv/bin/python -m bench.stock            # or: make bench-stock

Everything runs on the PostgreSQL server of `BENCH_STOCK_PG` (default postgres://postgres@127.0.0.1:5432),
in databases of its own: `aftersales_bench_stock_10k` and `aftersales_bench_stock_1m` (made, migrated
and topped up through `stock_post` when missing or short: 10,000 and 1,000,000 moves; kept between runs), `tryton_bench_base` (Tryton with its stock module, a company and the same
parts). Each run measures on throw-away copies (`CREATE DATABASE … TEMPLATE`, suffix `_run`), so the
bases hold the same ledgers on every run; the copies are dropped afterwards (`--keep` keeps them).

Ours, in two Django processes (one per copy, `DEBUG=0`), driven from here over a pipe:
1. growth: `--rounds` rounds of `--round-moves` moves through `stock_post` (`--batch` moves a call)
   on the 10k ledger and on the 1M ledger, alternately, so the machine's noise falls on both alike;
   rate = moves ÷ time inside `stock_post`; growth = the 1M rate ÷ the 10k rate;
2. volume: `--volume` (100,000) more moves on the 10k copy, the same way;
3. receipts: `--receipts` goods receipts of `--receipt-lines` lines through `stock_receive`;
4. reports over the 1M copy: `stock_valuation` and `stock_turnover` (the ledger's last year) as a
   superuser, each `--report-runs` times after one unmeasured call; median;
5. the ledger's sums checked against every balance on both copies.
Then Tryton (`--no-tryton` skips it), in its own virtualenv `var/bench/tryton-venv` (made with pip
when missing): the same workload through `Move.create` + `Move.do` (`bench/tryton_stock.py`), its
rate at ledgers of about 2,000 and 4,000 moves (the `--tryton-window` moves after each).

Prints a table, writes `var/bench/stock.json` (`--json`), exits 1 when a goal is missed: posting
≥ 2,000 moves/s, growth ≥ 0.8, each report < 1 s, ours ≥ 2× Tryton, a consistent ledger.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_STOCK_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
SMALL, BIG = "aftersales_bench_stock_10k", "aftersales_bench_stock_1m"
TRYTON_BASE = "tryton_bench_base"
RUN = "_run"
TRYTON_VENV = ROOT / "var" / "bench" / "tryton-venv"
TRYTON_DIR = ROOT / "var" / "bench" / "tryton"
TRYTON_REQUIREMENTS = ["trytond[postgresql]>=7,<9", "trytond-stock>=7,<9"]
#: The turnover report's period: the last year of the seeded two-year timeline (see bench.stock_seed).
TURNOVER_FROM, TURNOVER_TO = dt.date(2025, 11, 1), dt.date(2026, 10, 31)

GOAL_RATE = 2000.0
GOAL_GROWTH = 0.8
GOAL_REPORT_S = 1.0
GOAL_TRYTON = 2.0


# -- databases --------------------------------------------------------------------------------------------------------


def _allowed(name: str) -> str:
    if not name.startswith(("aftersales_bench_stock", "tryton_bench")):
        raise SystemExit(f"refusing to touch database {name!r}: the stock benchmark uses its own databases only")
    return name


def pg_admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def database_create(name: str, template: str | None = None) -> None:
    _allowed(name)
    statement = f'CREATE DATABASE "{name}"'
    if template:
        statement += f' TEMPLATE "{_allowed(template)}"'
    pg_admin(statement)


def database_drop(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{_allowed(name)}" WITH (FORCE)')


def database_clone(template: str, name: str) -> None:
    database_drop(name)
    database_create(name, template)


def django_env(database: str) -> dict[str, str]:
    from bench.run import server_environment

    env = server_environment(f"{PG}/{database}")
    env["CONN_MAX_AGE"] = "600"
    return env


def manage(database: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=django_env(database), check=True)


def prepare_base(database: str, moves: int, *, parts: int, warehouses: int, batch: int) -> None:
    """The base database: made if missing, migrated, topped up to `moves` moves (nothing if it holds them)."""
    if not database_exists(database):
        print(f"creating {database}")
        database_create(database)
    manage(database, "migrate", "--noinput", "-v", "0")
    manage(
        database,
        "bench_stock_seed",
        *("--moves", str(moves), "--parts", str(parts), "--warehouses", str(warehouses), "--batch", str(batch)),
    )


# -- a Django process per database, driven over a pipe --------------------------------------------------------------


class Worker:
    """`python -m bench.stock --worker` on one database: one JSON command a line in, one JSON answer a line out."""

    def __init__(self, name: str, database: str):
        self.name, self.database = name, database
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.stock", "--worker"],
            cwd=ROOT,
            env=django_env(database),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, op: str, **arguments) -> dict:
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the worker on {self.database} stopped (status {self.process.wait()})")
        answer = json.loads(line)
        if "error" in answer and op != "reports":
            raise SystemExit(f"the worker on {self.database} failed at {op}: {answer['error']}")
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.ask("quit")
            except SystemExit:
                pass
            self.process.wait(timeout=60)


def _materialise(result) -> int:
    """Walk what a report returns, so that lazy querysets inside it are evaluated within the timing."""
    import dataclasses

    from django.db.models.query import QuerySet

    if isinstance(result, QuerySet):
        return len(list(result))
    if isinstance(result, dict):
        return sum(_materialise(v) for v in result.values())
    if isinstance(result, list | tuple):
        return sum(_materialise(v) for v in result) + len(result)
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return sum(_materialise(getattr(result, f.name)) for f in dataclasses.fields(result))
    return 0


def report_timings(bench, *, runs: int, date_from: dt.date, date_to: dt.date) -> dict:
    """Each report once unmeasured (caches warm, as for a report asked twice), then `runs` times timed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aftersales.parts import reports
    from aftersales.parts.models import StockMove

    calls = {
        "valuation": lambda: reports.stock_valuation(user=bench.actor),
        "turnover": lambda: reports.stock_turnover(user=bench.actor, date_from=date_from, date_to=date_to),
    }
    answer = {"moves": StockMove.objects.count(), "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    for key, call in calls.items():
        _materialise(call())
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                _materialise(call())
                times.append(time.perf_counter() - started)
        answer[key] = {"seconds": times, "queries": len(queries.captured_queries)}
    return answer


def worker() -> int:
    """The `--worker` mode: answers commands on stdin until `quit`; anything else printed goes to stderr."""
    import django

    answers = sys.stdout
    sys.stdout = sys.stderr
    django.setup()
    from django.db import connection

    from aftersales.parts.models import StockBalance, StockMove
    from bench.run import machine_info
    from bench.stock_seed import (
        ledger_mismatches,
        stock_bench_setup,
        stock_post_workload,
        stock_receive_workload,
        workload_for,
    )

    bench = workload = None
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        try:
            if op == "quit":
                answer = {}
            elif op == "setup":
                bench = stock_bench_setup(parts=command["parts"], warehouses=command["warehouses"])
                workload = workload_for(bench, seed=StockMove.objects.count() + 7)
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_size_pretty(pg_total_relation_size('parts_stockmove')), "
                        "pg_size_pretty(pg_database_size(current_database()))"
                    )
                    table_size, database_size = cursor.fetchone()
                answer = {
                    "moves": StockMove.objects.count(),
                    "balances": StockBalance.objects.count(),
                    "machine": machine_info(),
                    "move_table": table_size,
                    "database_size": database_size,
                }
            elif op == "post":
                result = stock_post_workload(bench, workload, moves=command["moves"], batch=command["batch"])
                answer = {"moves": result.moves, "seconds": result.seconds, "batches": result.batches}
            elif op == "receive":
                result = stock_receive_workload(bench, workload, receipts=command["receipts"], lines=command["lines"])
                answer = {"moves": result.moves, "seconds": result.seconds, "receipts": result.batches}
            elif op == "reports":
                answer = report_timings(
                    bench,
                    runs=command["runs"],
                    date_from=dt.date.fromisoformat(command["date_from"]),
                    date_to=dt.date.fromisoformat(command["date_to"]),
                )
            elif op == "check":
                problems = ledger_mismatches()
                answer = {
                    "moves": StockMove.objects.count(),
                    "balances": StockBalance.objects.count(),
                    "mismatches": len(problems),
                    "examples": problems[:5],
                }
            else:
                answer = {"error": f"unknown command {op}"}
        except Exception as exc:  # reported to the runner, which decides
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
        if op == "quit":
            break
    return 0


# -- Tryton ---------------------------------------------------------------------------------------------------------


def tryton_python() -> Path:
    return TRYTON_VENV / "bin" / "python"


def tryton_install() -> dict:
    """Tryton's virtualenv, made and filled from PyPI when missing; the installed versions."""
    if not (TRYTON_VENV / "bin" / "trytond-admin").exists():
        print(f"installing Tryton into {TRYTON_VENV.relative_to(ROOT)} ({' '.join(TRYTON_REQUIREMENTS)})")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TRYTON_VENV)], check=True)
        pip = [str(tryton_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        answer = subprocess.run([*pip, *TRYTON_REQUIREMENTS], capture_output=True, text=True)
        if answer.returncode != 0:
            raise RuntimeError(f"pip could not install Tryton: {(answer.stderr or answer.stdout).strip()[-2000:]}")
    versions = subprocess.run(
        [
            str(tryton_python()),
            "-c",
            "import importlib.metadata as m, json; "
            "print(json.dumps({n: m.version(n) for n in ('trytond', 'trytond-stock', 'psycopg')}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(versions.stdout)


def tryton_config() -> Path:
    TRYTON_DIR.mkdir(parents=True, exist_ok=True)
    config = TRYTON_DIR / "trytond.conf"
    config.write_text(f"[database]\nuri = {PG.replace('postgres://', 'postgresql://')}/\n", encoding="utf-8")
    return config


def tryton_base_ready() -> bool:
    if not database_exists(TRYTON_BASE):
        return False
    import psycopg

    try:
        with psycopg.connect(f"{PG}/{TRYTON_BASE}") as connection:
            row = connection.execute("SELECT state FROM ir_module WHERE name = 'stock'").fetchone()
    except psycopg.Error:
        return False
    return bool(row) and row[0] == "activated"


def tryton_prepare(*, parts: int, warehouses: int) -> None:
    """`tryton_bench_base`: initialised with the stock module (once), then the company, locations and parts."""
    config = tryton_config()
    if not tryton_base_ready():
        print(f"initialising {TRYTON_BASE} (trytond-admin --all -u stock)")
        database_drop(TRYTON_BASE)
        database_create(TRYTON_BASE)
        passfile = TRYTON_DIR / "admin-password"
        passfile.write_text("bench-admin\n", encoding="utf-8")
        subprocess.run(
            [
                str(TRYTON_VENV / "bin" / "trytond-admin"),
                "-c",
                str(config),
                "-d",
                TRYTON_BASE,
                "--all",
                "-u",
                "stock",
                "--activate-dependencies",
                "--email",
                "admin@bench.invalid",
            ],
            env={**os.environ, "TRYTONPASSFILE": str(passfile)},
            stdin=subprocess.DEVNULL,
            check=True,
        )
    tryton_script(TRYTON_BASE, "setup", "--parts", str(parts), "--warehouses", str(warehouses))


def tryton_script(database: str, *args: str) -> list[dict]:
    command = [str(tryton_python()), "-W", "ignore::DeprecationWarning", str(ROOT / "bench" / "tryton_stock.py")]
    command += ["--config", str(tryton_config()), "--database", database, *args]
    answer = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if answer.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} exited with status {answer.returncode}")
    return [json.loads(line) for line in answer.stdout.splitlines() if line.startswith("{")]


def tryton_measure(args) -> dict:
    versions = tryton_install()
    tryton_prepare(parts=args.parts, warehouses=args.warehouses)
    run = TRYTON_BASE + RUN
    database_clone(TRYTON_BASE, run)
    sizes = sorted(args.tryton_sizes)
    total = sizes[-1] + args.tryton_window
    print(f"Tryton {versions['trytond']}: posting {total:,} moves in batches of {args.tryton_batch} …", flush=True)
    started = time.monotonic()
    try:
        lines = tryton_script(
            run,
            "--parts",
            str(args.parts),
            "--warehouses",
            str(args.warehouses),
            "post",
            "--moves",
            str(total),
            "--batch",
            str(args.tryton_batch),
            "--timeout",
            str(args.tryton_timeout),
        )
    finally:
        if not args.keep:
            database_drop(run)
    batches = [line for line in lines if "before" in line]
    windows = {}
    for size in sizes:
        inside = [b for b in batches if size <= b["before"] < size + args.tryton_window]
        moves, seconds = sum(b["moves"] for b in inside), sum(b["seconds"] for b in inside)
        windows[str(size)] = {
            "moves": moves,
            "seconds": round(seconds, 3),
            "rate": moves / seconds if seconds else None,
        }
    first = [b for b in batches if b["before"] < args.tryton_window]
    first_moves, first_seconds = sum(b["moves"] for b in first), sum(b["seconds"] for b in first)
    return {
        "versions": versions,
        "batch": args.tryton_batch,
        "posted": sum(b["moves"] for b in batches),
        "elapsed_s": round(time.monotonic() - started, 1),
        "first_window_rate": first_moves / first_seconds if first_seconds else None,
        "windows": windows,
        "batches": batches,
    }


# -- the run --------------------------------------------------------------------------------------------------------


def rate(moves: int, seconds: float) -> float:
    return moves / seconds if seconds else 0.0


def measure_ours(args) -> dict:
    for database, moves in ((SMALL, args.small_moves), (BIG, args.big_moves)):
        print(f"preparing {database} ({moves:,} moves)", flush=True)
        prepare_base(database, moves, parts=args.parts, warehouses=args.warehouses, batch=args.batch)
    small_run, big_run = SMALL + RUN, BIG + RUN
    database_clone(SMALL, small_run)
    database_clone(BIG, big_run)
    small, big = Worker("10k", small_run), Worker("1m", big_run)
    result: dict = {}
    try:
        for who in (small, big):
            result[who.name] = {"before": who.ask("setup", parts=args.parts, warehouses=args.warehouses)}
        result["machine"] = result["10k"]["before"].pop("machine")
        result["1m"]["before"].pop("machine")
        print(
            f"ledgers: {result['10k']['before']['moves']:,} and {result['1m']['before']['moves']:,} moves; "
            f"{args.rounds} rounds of {args.round_moves:,} moves each, batches of {args.batch} …",
            flush=True,
        )
        for who in (small, big):  # one unmeasured batch each: connections and caches warm
            who.ask("post", moves=args.batch, batch=args.batch)
        rounds = {"10k": [], "1m": []}
        for number in range(args.rounds):
            order = (small, big) if number % 2 == 0 else (big, small)
            for who in order:
                rounds[who.name].append(who.ask("post", moves=args.round_moves, batch=args.batch))
        for name, runs in rounds.items():
            moves, seconds = sum(r["moves"] for r in runs), sum(r["seconds"] for r in runs)
            result[name]["growth_rounds"] = {
                "moves": moves,
                "seconds": round(seconds, 3),
                "rate": rate(moves, seconds),
                "round_rates": [round(rate(r["moves"], r["seconds"]), 1) for r in runs],
            }
        result["growth"] = result["1m"]["growth_rounds"]["rate"] / result["10k"]["growth_rounds"]["rate"]
        print(f"posting {args.volume:,} moves on the 10k copy …", flush=True)
        volume = small.ask("post", moves=args.volume, batch=args.batch)
        result["volume"] = {**volume, "rate": rate(volume["moves"], volume["seconds"]), "batch": args.batch}
        print(f"{args.receipts} receipts of {args.receipt_lines} lines through stock_receive …", flush=True)
        receipts = small.ask("receive", receipts=args.receipts, lines=args.receipt_lines)
        result["receipts"] = {**receipts, "rate": rate(receipts["moves"], receipts["seconds"])}
        print("reports over the 1M copy …", flush=True)
        result["reports"] = big.ask(
            "reports", runs=args.report_runs, date_from=TURNOVER_FROM.isoformat(), date_to=TURNOVER_TO.isoformat()
        )
        print("checking both ledgers against their balances …", flush=True)
        result["10k"]["after"] = small.ask("check")
        result["1m"]["after"] = big.ask("check")
    finally:
        small.close()
        big.close()
        if not args.keep:
            database_drop(small_run)
            database_drop(big_run)
    return result


def summarise(ours: dict, tryton: dict | None, tryton_error: str | None) -> tuple[list[str], list[str]]:
    """The table's lines and the goals missed."""
    lines, failures = [], []

    def row(label: str, value: str, goal: str = "", ok: bool | None = None):
        mark = "" if ok is None else ("ok" if ok else "MISSED")
        lines.append(f"{label:<58} {value:>18}  {goal:<14} {mark}")

    small = ours["10k"]
    volume = ours["volume"]
    ok = volume["rate"] >= GOAL_RATE
    row(
        f"posting {volume['moves']:,} moves, stock_post × {volume['batch']}",
        f"{volume['rate']:,.0f} moves/s",
        "≥ 2,000",
        ok,
    )
    if not ok:
        failures.append(f"posting rate {volume['rate']:,.0f} moves/s (goal ≥ {GOAL_RATE:,.0f})")
    for name, label in (("10k", "10k"), ("1m", "1M")):
        growth = ours[name]["growth_rounds"]
        before = ours[name]["before"]["moves"]
        ok = growth["rate"] >= GOAL_RATE
        row(f"  rounds on a ledger of {before:,} moves ({label})", f"{growth['rate']:,.0f} moves/s", "≥ 2,000", ok)
        if not ok:
            failures.append(f"posting rate on the {label} ledger {growth['rate']:,.0f} moves/s (goal ≥ 2,000)")
    ok = ours["growth"] >= GOAL_GROWTH
    row("growth: rate at 1M ÷ rate at 10k", f"{ours['growth']:.2f}", "≥ 0.80", ok)
    if not ok:
        failures.append(f"posting rate at 1M is {ours['growth']:.2f} × the rate at 10k (goal ≥ {GOAL_GROWTH})")
    receipts = ours["receipts"]
    row(
        f"stock_receive, {receipts['receipts']} receipts of {receipts['moves'] // max(receipts['receipts'], 1)} lines",
        f"{receipts['rate']:,.0f} moves/s",
        "(reported)",
    )
    reports = ours["reports"]
    if "error" in reports:
        row("reports", "not measured", "< 1 s", False)
        failures.append(f"reports not measured: {reports['error']}")
    else:
        for key, label in (("valuation", "stock_valuation"), ("turnover", "stock_turnover (one year)")):
            median = statistics.median(reports[key]["seconds"])
            ok = median < GOAL_REPORT_S
            row(f"{label} over {reports['moves']:,} moves", f"{median * 1000:,.0f} ms", "< 1 s", ok)
            if not ok:
                failures.append(f"{label} takes {median:.2f} s (goal < 1 s)")
    for name in ("10k", "1m"):
        after = ours[name]["after"]
        ok = after["mismatches"] == 0
        row(
            f"ledger = balances, {after['moves']:,} moves, {after['balances']:,} balances",
            f"{after['mismatches']} off",
            "0",
            ok,
        )
        if not ok:
            failures.append(f"{name} ledger inconsistent: {after['examples']}")
    if tryton is None:
        row("Tryton", "not measured", "ours ≥ 2×", False if tryton_error else None)
        if tryton_error:
            failures.append(f"Tryton not measured: {tryton_error}")
        return lines, failures
    ours_rate = small["growth_rounds"]["rate"]
    for size, window in tryton["windows"].items():
        if window["rate"] is None:
            row(f"Tryton {tryton['versions']['trytond']} at {int(size):,} moves", "not reached", "", False)
            failures.append(f"Tryton did not reach {int(size):,} moves within the time allowed")
            continue
        row(
            f"Tryton {tryton['versions']['trytond']} at {int(size):,} moves, Move.do × {tryton['batch']}",
            f"{window['rate']:,.1f} moves/s",
        )
    best = max((w["rate"] for w in tryton["windows"].values() if w["rate"]), default=None)
    if best:
        ratio = ours_rate / best
        tryton["ratio"] = ratio
        ok = ratio >= GOAL_TRYTON
        row("ours (10k rounds) ÷ Tryton (its best window)", f"{ratio:,.1f}×", "≥ 2×", ok)
        if not ok:
            failures.append(f"ours is {ratio:.1f}× Tryton (goal ≥ {GOAL_TRYTON:g}×)")
    return lines, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stock", description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--small-moves", type=int, default=10_000, help="moves in the small ledger (10,000)")
    parser.add_argument("--big-moves", type=int, default=1_000_000, help="moves in the big ledger (1,000,000)")
    parser.add_argument("--parts", type=int, default=2000, help="parts (2,000)")
    parser.add_argument("--warehouses", type=int, default=3, help="warehouses (3)")
    parser.add_argument("--batch", type=int, default=500, help="moves per stock_post call (500)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating growth rounds (4)")
    parser.add_argument("--round-moves", type=int, default=5000, help="moves per round and ledger (5,000)")
    parser.add_argument("--volume", type=int, default=100_000, help="moves of the volume run (100,000)")
    parser.add_argument("--receipts", type=int, default=200, help="goods receipts through stock_receive (200)")
    parser.add_argument("--receipt-lines", type=int, default=25, help="lines per receipt (25)")
    parser.add_argument("--report-runs", type=int, default=5, help="timed runs of each report (5)")
    parser.add_argument("--no-tryton", action="store_true", help="skip Tryton (its goal is then not judged)")
    parser.add_argument("--tryton-sizes", type=int, nargs="+", default=[2000, 4000], help="Tryton ledger sizes")
    parser.add_argument("--tryton-window", type=int, default=500, help="Tryton moves timed at each size (500)")
    parser.add_argument("--tryton-batch", type=int, default=100, help="Tryton moves per transaction (100)")
    parser.add_argument("--tryton-timeout", type=float, default=900, help="seconds Tryton may post for (900)")
    parser.add_argument("--keep", action="store_true", help="keep the _run copies of the databases")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "stock.json"), help="results file")
    args = parser.parse_args(argv)
    if args.worker:
        return worker()

    started = time.monotonic()
    load_before = os.getloadavg()
    ours = measure_ours(args)
    tryton, tryton_error = None, None
    if not args.no_tryton:
        try:
            tryton = tryton_measure(args)
        except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
            tryton_error = str(exc)
            print(f"Tryton could not be measured: {tryton_error}", file=sys.stderr)
    lines, failures = summarise(ours, tryton, tryton_error)
    machine = ours.pop("machine")
    print()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']}, {machine['database']}")
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))
    document = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "settings": {k: v for k, v in vars(args).items() if k not in ("worker", "json")},
        "ours": ours,
        "tryton": tryton,
        "tryton_error": tryton_error,
        "failures": failures,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nWritten to {path} ({time.monotonic() - started:.0f} s)")
    if failures:
        print("\nGOALS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nOK: every goal met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
