"""The pay-run benchmark: `pay_run_create` for a month of 5,000 employees with their records, and of 500, in one run.

    .venv/bin/python -m bench.pay            # or: make bench-pay

Everything runs on the PostgreSQL server of `BENCH_PAY_PG` (default postgres://postgres@127.0.0.1:5432), in a
database of its own, `aftersales_bench_pay` (made and migrated when missing, kept between runs). In it,
`bench.pay_seed.pay_bench_seed` makes one store per size (`PB500`, `PB5000`) whose employees all hold the
installation supervisor's position, paid by the seed's formula, each with a confirmed score, a 业绩奖 input,
18–22 inspection orders over the month, and audits with their fines and rewards (see `bench/pay_seed.py`).

Then, in one Django process (`DEBUG=0`, production settings), for each size: one unmeasured `pay_run_create`,
then `--runs` timed ones (each checked: every employee paid, each payslip's total equal to the policy's arithmetic
written out by hand; then cancelled, which frees the month). Each run's SQL statements are counted through
`connection.execute_wrapper`.

Prints a table, writes `var/bench/pay.json` (`--json`), exits 1 when a goal is missed: the run at 5,000 employees
≤ 3 s (median), the same number of queries at every size, every payslip right.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PAY_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "aftersales_bench_pay"
GOAL_SECONDS = 3.0
SIZES = (500, 5000)


# -- the database ------------------------------------------------------------------------------------------------------


def _allowed(name: str) -> str:
    if not name.startswith(DATABASE):
        raise SystemExit(f"refusing to touch database {name!r}: this benchmark uses {DATABASE} only")
    return name


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def database_create(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{_allowed(name)}"')


def django_env(database: str) -> dict[str, str]:
    from bench.run import server_environment

    return server_environment(f"{PG}/{_allowed(database)}")


def manage(database: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=django_env(database), check=True)


def prepare(database: str) -> None:
    """The database, made when missing and migrated (the stores are seeded by the measuring process)."""
    if not database_exists(database):
        print(f"creating {database}", flush=True)
        database_create(database)
    manage(database, "migrate", "--noinput", "-v", "0")
    manage(database, "createcachetable")


# -- inside Django -----------------------------------------------------------------------------------------------------


def measure(sizes, runs: int) -> dict:
    """Seed each size's store when missing, then time its pay runs (`bench.pay_seed.pay_run_timings`)."""
    from bench.pay_seed import pay_bench_seed, pay_run_timings
    from bench.run import machine_info

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    answer = {"machine": machine_info(), "sizes": {}}
    for size in sizes:
        seeded = pay_bench_seed(employees=size, progress=progress)
        if seeded.created:
            progress(f"  {seeded.store} seeded in {seeded.seconds:.1f} s")
        progress(f"timing pay_run_create at {size:,} employees …")
        timings = pay_run_timings(employees=size, runs=runs)
        timings["seeded_s"] = round(seeded.seconds, 1) if seeded.created else None
        answer["sizes"][str(size)] = timings
    return answer


def in_subprocess(database: str, sizes, runs: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "bench.pay", "--measure", out.name, "--runs", str(runs)]
        command += ["--sizes", *map(str, sizes)]
        subprocess.run(command, cwd=ROOT, env=django_env(database), check=True)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


# -- the table -----------------------------------------------------------------------------------------------------------


def summarise(result: dict, *, goal_seconds: float = GOAL_SECONDS, goal_size: int = max(SIZES)):
    """The table's lines and the goals missed."""
    lines, failures = [], []

    def row(label: str, value: str, goal: str = "", ok: bool | None = None):
        mark = "" if ok is None else ("ok" if ok else "MISSED")
        lines.append(f"{label:<56} {value:>16}  {goal:<10} {mark}")

    counts = {}
    for size_key, data in sorted(result["sizes"].items(), key=lambda item: int(item[0])):
        size = int(size_key)
        rows = data["rows"]
        lines.append(
            f"{data['store']}: {rows['employees']:,} employees, {rows['inspection orders']:,} inspection orders, "
            f"{rows['audits']:,} audits ({rows['violations']:,} violations, {rows['postings']:,} postings), "
            f"month {data['month']}"
        )
        seconds = [r["seconds"] for r in data["runs"]]
        best, median = min(seconds), statistics.median(seconds)
        gated = size == goal_size
        ok = median <= goal_seconds if gated else None
        row(f"  pay_run_create, {size:,} payslips, best of {len(seconds)}", f"{best:.2f} s")
        row(f"  pay_run_create, {size:,} payslips, median", f"{median:.2f} s", f"≤ {goal_seconds:g} s" if gated else "",
            ok)  # fmt: skip
        if gated and not ok:
            failures.append(f"pay_run_create at {size:,} employees takes {median:.2f} s (goal ≤ {goal_seconds:g} s)")
        row("  per payslip (median)", f"{median / max(size, 1) * 1000:.3f} ms")
        queries = {r["queries"] for r in data["runs"]}
        counts[size] = max(queries)
        # the payslips go in with one COPY (PostgreSQL), which Django's execute wrappers do not see
        row("  SQL statements per run (+ 1 COPY of the payslips)", " / ".join(str(q) for q in sorted(queries)))
        wrong = sum(r["wrong_payslips"] for r in data["runs"])
        paid = all(r["payslips"] == rows["employees"] for r in data["runs"])
        ok = wrong == 0 and paid
        row("  payslips = the policy's arithmetic by hand", f"{wrong} wrong", "0", ok)
        if not ok:
            examples = [e for r in data["runs"] for e in r["wrong_examples"]][:5]
            failures.append(f"{size:,} employees: {wrong} payslips differ from the hand computation, e.g. {examples}")
    if counts:
        same = len(set(counts.values())) == 1
        shown = " = ".join(f"{q} ({size:,})" for size, q in sorted(counts.items()))
        row("queries do not grow with the employees", shown if same else shown.replace(" = ", " ≠ "), "same", same)
        if not same:
            failures.append(f"the number of queries grows with the employees: {counts}")
    return lines, failures


def statement_table(result: dict) -> list[str]:
    """The statements of one run at each size, by kind and table, side by side."""
    sizes = sorted(result["sizes"], key=int)
    per_size = {size: result["sizes"][size]["runs"][0]["statements"] for size in sizes if result["sizes"][size]["runs"]}
    keys = sorted({key for statements in per_size.values() for key in statements})
    lines = [f"  {'statement':<44}" + "".join(f"{int(size):>10,}" for size in per_size)]
    for key in keys:
        lines.append(f"  {key:<44}" + "".join(f"{per_size[size].get(key, 0):>10}" for size in per_size))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="employees per store (500 5000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs at each size (3)")
    parser.add_argument("--goal", type=float, default=GOAL_SECONDS, help="seconds allowed at the largest size (3)")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "pay.json"), help="results file")
    parser.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.measure:
        import django

        django.setup()
        answer = measure(args.sizes, args.runs)
        Path(args.measure).write_text(json.dumps(answer, ensure_ascii=False, default=str), encoding="utf-8")
        return 0

    started = time.monotonic()
    load_before = os.getloadavg()
    print(f"preparing {DATABASE}", flush=True)
    prepare(DATABASE)
    result = in_subprocess(DATABASE, args.sizes, args.runs)
    lines, failures = summarise(result, goal_seconds=args.goal, goal_size=max(args.sizes))
    machine = result.pop("machine")
    print()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']}, {machine['database']}")
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))
    print("\nSQL statements of one run, by kind and table:")
    print("\n".join(statement_table(result)))
    document = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "settings": {k: v for k, v in vars(args).items() if k not in ("measure", "json")},
        "result": result,
        "failures": failures,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nWritten to {path} ({time.monotonic() - started:.0f} s)")
    if failures:
        print("\nGOALS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nOK: every goal met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
