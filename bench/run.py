"""The benchmark of the customer list and search pages against `/healthz`, measured as ratios in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench .venv/bin/python -m bench.run
    # and, to compare two data sizes in the same run (query counts and times):
    BENCH_SMALL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench_10k \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench .venv/bin/python -m bench.run

Seed each database first with `manage.py bench_seed --customers N`. For each database the run starts a
real app server (gunicorn, one worker, DEBUG off) on a free port, signs in through the sign-in form
as the bench regional manager (sees every bench store) and the bench service advisor (sees one store),
warms up, then asks every page in turn, round after round (both databases in the same rounds), so
whatever noise the machine makes falls on all pages alike. A page's time is the server's own
(`Server-Timing: app;dur=`, from `ServerTimingMiddleware`); its median is divided by the median of
`/healthz` on the same server in the same run.

The number of SQL queries of each page is counted separately, in a Django process of its own per
database, with the test client and `CaptureQueriesContext`.

Exit status 1 when a gated page's median exceeds `--max-ratio` × /healthz (3, the issue's goal), when
a page's query count differs between the two data sizes, or (with `--max-growth G`) when a gated page
takes more than G times as long on the big database as on the small one. Short searches (one or two
characters) and the signed-in page without data are reported, not gated: see docs/performance.md.
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def server_environment(database_url: str) -> dict[str, str]:
    """Production settings, minus TLS (the benchmark talks plain HTTP to 127.0.0.1)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "AFTERSALES_TESTING": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "BEHIND_TLS_PROXY": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }


# -- preparation, in a Django process per database ------------------------------------------------------------------


def page_plan(terms: dict[str, str], store_id: int) -> list[dict]:
    """The pages asked of one person: key, label, path, and whether the 3× goal applies to it."""

    def q(**params) -> str:
        return "/customers/?" + urlencode(params)

    def page(key, label, path, gated=True):
        return {"key": key, "label": label, "path": path, "gated": gated}

    return [
        page("shell", "signed-in page without data (password form)", "/accounts/password/", gated=False),
        page("list", "customer list", "/customers/"),
        page("name", "search name (3 characters)", q(q=terms["name"])),
        page("plate", "search plate", q(q=terms["plate"])),
        page("mobile", "search mobile, last 4 digits", q(q=terms["mobile_tail"])),
        page("vin", "search VIN, last 6 characters", q(q=terms["vin_tail"])),
        page("filtered", "filter person + phone, sort by name", q(kind="person", source="phone", sort="name")),
        page("branch", "filter one store, sort by mobile desc", q(branch=store_id, sort="-mobile")),
        page("short1", "short search, 1 character", q(q=terms["one_char"]), gated=False),
        page("short2", "short search, 2 characters", q(q=terms["two_chars"]), gated=False),
    ]


def pick_terms(user) -> dict[str, str]:
    """Search terms from a real customer the person sees, in the middle of the table (the same every run)."""
    from aftersales.customers.models import Asset, Customer

    base = Customer.objects.for_user(user).filter(kind="person", active=True).order_by("id")
    total = base.count()
    for customer in base[total // 2 : total // 2 + 500]:
        vehicle = Asset.objects.filter(customer=customer, kind="vehicle", active=True).order_by("id").first()
        if len(customer.name) == 3 and vehicle and customer.mobile:
            return {
                "name": customer.name,
                "plate": vehicle.plate,
                "mobile_tail": customer.mobile[-4:],
                "vin_tail": vehicle.vin[-6:],
                "one_char": customer.name[0],
                "two_chars": customer.name[:2],
            }
    raise SystemExit("No suitable bench customer found: run `manage.py bench_seed --customers 100000` first.")


def machine_info() -> dict[str, str]:
    import django
    from django.db import connection

    cpu = platform.processor()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory = ""
    match = (
        re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()) if Path("/proc/meminfo").exists() else None
    )
    if match:
        memory = f"{int(match.group(1)) / 1024 / 1024:.0f} GiB"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]}"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
    }


def prepare() -> dict:
    """Runs inside Django (the `--prepare` mode): what to ask, and each page's query count."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from aftersales.customers.models import Customer
    from aftersales.org.models import User
    from bench.seed import ADVISOR, PASSWORD, REGIONAL, bench_region

    region = bench_region()
    users = {
        "region": User.objects.filter(username=REGIONAL).first(),
        "advisor": User.objects.filter(username=ADVISOR).first(),
    }
    if region is None or not all(users.values()):
        raise SystemExit(f"No bench data in {connection.settings_dict['NAME']}: run `manage.py bench_seed` first.")
    store_id = users["advisor"].employee.branch_id
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off serves hashed names from a manifest

    def count(client, path) -> int:
        client.get(path)  # once unmeasured: the server is warm when it is timed
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} (in-process client)")
        return len(captured.captured_queries)

    result = {
        "machine": machine_info(),
        "customers": Customer.objects.filter(branch__parent=region).count(),
        "baseline": {"key": "healthz", "label": "/healthz (baseline)", "path": "/healthz", "gated": False},
        "people": {},
    }
    result["baseline"]["queries"] = count(Client(), "/healthz")
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        terms = pick_terms(user)
        pages = page_plan(terms, store_id)
        for page in pages:
            page["queries"] = count(client, page["path"])
        result["people"][who] = {
            "username": user.username,
            "password": PASSWORD,
            "visible": Customer.objects.for_user(user).filter(active=True).count(),
            "terms": terms,
            "pages": pages,
        }
    return result


def prepare_in_subprocess(env: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, "-m", "bench.run", "--prepare", out.name], cwd=ROOT, env=env, check=True)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


# -- measuring over HTTP --------------------------------------------------------------------------------------------


@dataclass
class Page:
    key: str
    label: str
    path: str
    gated: bool
    queries: int
    cookies: dict = field(default_factory=dict)
    server_ms: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.server_ms)

    def p90(self) -> float:
        ordered = sorted(self.server_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def server_ms(self) -> float:
        match = re.search(r"app;dur=([\d.]+)", self.headers.get("Server-Timing", ""))
        if not match:
            raise SystemExit("no Server-Timing header: is ServerTimingMiddleware installed?")
        return float(match.group(1))


def request(port: int, method: str, path: str, *, cookies: dict | None = None, form: dict | None = None) -> Answer:
    headers = {"Host": f"{HOST}:{port}", "Connection": "close"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def cookies_from(answer: Answer, jar: dict) -> dict:
    for header in answer.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            jar[name] = morsel.value
    return jar


def sign_in(port: int, username: str, password: str) -> dict:
    """A session cookie through the real sign-in form (CSRF token and all)."""
    form_page = request(port, "GET", "/accounts/login/")
    jar = cookies_from(form_page, {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.body)
    if form_page.status != 200 or not token:
        raise SystemExit(f"the sign-in page answered {form_page.status} without a CSRF token")
    answer = request(
        port,
        "POST",
        "/accounts/login/",
        cookies=jar,
        form={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode(), "next": ""},
    )
    cookies_from(answer, jar)
    if answer.status != 302 or "sessionid" not in jar:
        raise SystemExit(f"signing in as {username} failed (status {answer.status})")
    return jar


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Target:
    """One database: its app server, its baseline and the pages of each person."""

    def __init__(self, name: str, database_url: str):
        self.name = name
        self.database_url = database_url
        self.env = server_environment(database_url)
        self.info = prepare_in_subprocess(self.env)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.baseline = Page(**self.info["baseline"])
        self.pages = {who: [Page(**page) for page in person["pages"]] for who, person in self.info["people"].items()}

    @property
    def customers(self) -> int:
        return self.info["customers"]

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{self.port}"]
        command += ["--workers", "1", "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the app server for {self.name} exited with status {self.process.returncode}")
            try:
                if request(self.port, "GET", "/healthz").status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"the app server for {self.name} did not answer /healthz in time")
        for who, person in self.info["people"].items():
            cookies = sign_in(self.port, person["username"], person["password"])
            for page in self.pages[who]:
                page.cookies = cookies

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def plan(self) -> list[tuple[int, Page]]:
        return [(self.port, self.baseline)] + [(self.port, page) for pages in self.pages.values() for page in pages]


def measure(plan: list[tuple[int, Page]], *, rounds: int, warmup: int) -> None:
    for _ in range(warmup):
        for port, page in plan:
            request(port, "GET", page.path, cookies=page.cookies)
    for number in range(rounds):
        # Round-robin, starting one further each round, so no page always follows the same one.
        shift = number % len(plan)
        for port, page in plan[shift:] + plan[:shift]:
            answer = request(port, "GET", page.path, cookies=page.cookies)
            if answer.status != 200:
                raise SystemExit(f"{page.path} answered {answer.status}")
            page.server_ms.append(answer.server_ms())


# -- report ---------------------------------------------------------------------------------------------------------


def report(big: Target, small: Target | None, max_ratio: float, max_growth: float | None) -> tuple[list[str], dict]:
    """Print the table; return the failures and the results for the JSON file."""
    failures: list[str] = []
    results: dict = {"targets": {}, "pages": {}}
    for target in filter(None, (big, small)):
        results["targets"][target.name] = {
            "customers": target.customers,
            "healthz_median_ms": round(target.baseline.median(), 3),
            "healthz_p90_ms": round(target.baseline.p90(), 3),
            "healthz_queries": target.baseline.queries,
        }
    head = f"{'page':<46} {'median':>7} {'p90':>7} {'×hz':>6} {'SQL':>4}"
    if small:
        head += f" │ {'median':>7} {'×hz':>6} {'SQL':>4} │ {'growth':>6}"
    print("\nServer time in ms (median, 90th percentile), ratio to /healthz (×hz), SQL queries per page.")
    print(
        f"Left: {big.name} ({big.customers:,} customers)"
        + (f"; right: {small.name} ({small.customers:,})" if small else "")
    )
    print(head)
    line = f"{'/healthz (baseline)':<46} {big.baseline.median():>7.2f} {big.baseline.p90():>7.2f} {1:>6.2f} {big.baseline.queries:>4}"
    if small:
        line += f" │ {small.baseline.median():>7.2f} {1:>6.2f} {small.baseline.queries:>4} │"
    print(line)
    for who, pages in big.pages.items():
        person = big.info["people"][who]
        print(f"-- as {person['username']} ({person['visible']:,} customers visible; terms {person['terms']})")
        results["pages"][who] = []
        for index, page in enumerate(pages):
            ratio = page.median() / big.baseline.median()
            row = {
                "key": page.key,
                "label": page.label,
                "path": page.path,
                "gated": page.gated,
                big.name: {
                    "median_ms": round(page.median(), 3),
                    "p90_ms": round(page.p90(), 3),
                    "ratio": round(ratio, 2),
                    "queries": page.queries,
                },
            }
            line = f"{page.label:<46} {page.median():>7.2f} {page.p90():>7.2f} {ratio:>6.1f} {page.queries:>4}"
            if page.gated and ratio > max_ratio:
                failures.append(f"{who}: {page.label} is {ratio:.1f}× /healthz (goal: at most {max_ratio:g}×)")
            if small:
                other = small.pages[who][index]
                other_ratio = other.median() / small.baseline.median()
                growth = page.median() / other.median()
                row[small.name] = {
                    "median_ms": round(other.median(), 3),
                    "ratio": round(other_ratio, 2),
                    "queries": other.queries,
                }
                row["growth"] = round(growth, 2)
                line += f" │ {other.median():>7.2f} {other_ratio:>6.1f} {other.queries:>4} │ {growth:>6.2f}"
                if page.gated and max_growth and growth > max_growth:
                    failures.append(
                        f"{who}: {page.label} takes {growth:.2f}× as long on {big.name} as on {small.name} "
                        f"(limit {max_growth:g}×)"
                    )
                if other.queries != page.queries:
                    failures.append(
                        f"{who}: {page.label} runs {page.queries} queries on {big.name}, {other.queries} on {small.name}"
                    )
            print(line + ("" if page.gated else "  (not gated)"))
            results["pages"][who].append(row)
    return failures, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="measured rounds over every page (200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first (20)")
    parser.add_argument("--max-ratio", type=float, default=3.0, help="highest allowed median ratio to /healthz (3)")
    parser.add_argument(
        "--small",
        default=os.environ.get("BENCH_SMALL_DATABASE_URL", ""),
        help="a second, smaller bench database measured in the same rounds (default $BENCH_SMALL_DATABASE_URL)",
    )
    parser.add_argument(
        "--max-growth",
        type=float,
        help="with --small: highest allowed ratio of a gated page's median on the big database to the small one",
    )
    parser.add_argument("--json", help="write the results here (default var/bench-<time>.json; '-' for none)")
    parser.add_argument("--prepare", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    if args.prepare:
        Path(args.prepare).write_text(json.dumps(prepare(), ensure_ascii=False), encoding="utf-8")
        return 0

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("DATABASE_URL is not set: measuring the SQLite database under var/ (the goal is set on PostgreSQL).")
        database_url = f"sqlite:///{ROOT / 'var' / 'aftersales.sqlite3'}"

    def name_of(url: str) -> str:
        return urlsplit(url).path.strip("/").rsplit("/", 1)[-1] or url

    big = Target(name_of(database_url), database_url)
    small = Target(name_of(args.small), args.small) if args.small else None
    info = big.info["machine"]
    print(
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['database']}; Python {info['python']}"
    )
    targets = [t for t in (big, small) if t]
    try:
        for target in targets:
            target.start()
        plan = [step for target in targets for step in target.plan()]
        started = time.monotonic()
        measure(plan, rounds=args.rounds, warmup=args.warmup)
        elapsed = time.monotonic() - started
    finally:
        for target in targets:
            target.stop()
    print(f"{args.rounds} rounds × {len(plan)} requests in {elapsed:.0f} s (after {args.warmup} warm-up rounds).")

    failures, results = report(big, small, args.max_ratio, args.max_growth)
    if args.json != "-":
        path = Path(args.json) if args.json else ROOT / "var" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "machine": info,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "max_ratio": args.max_ratio,
            "max_growth": args.max_growth,
            "terms": {t.name: {who: p["terms"] for who, p in t.info["people"].items()} for t in targets},
            **results,
            "failures": failures,
        }
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nWritten to {path}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print(
        f"\nOK: every gated page within {args.max_ratio:g}× of /healthz"
        + ("; the same queries at both sizes." if small else ".")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
