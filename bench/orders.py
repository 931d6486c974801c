"""The service-order benchmark: the order list and order page against `/healthz` at 10,000 and 1,000,000 orders,
and orders walked from reception to delivery over the API by concurrent clients, in one run.

    .venv/bin/python -m bench.orders            # or: make bench-orders

Everything runs on the PostgreSQL server of `BENCH_ORDERS_PG` (default postgres://postgres@127.0.0.1:5432), in
databases of its own: `aftersales_bench_orders_10k` and `aftersales_bench_orders_1m` (made, migrated and
filled by `manage.py bench_orders_seed` when missing or short, kept between runs) and, during the walk,
`aftersales_bench_orders_walk` (a throw-away copy, `CREATE DATABASE … TEMPLATE`).

1. Pages, as in `bench.run`: for each database a Django process counts every page's SQL queries (test client,
   `CaptureQueriesContext`), then a gunicorn (one sync worker, DEBUG off) serves it; the runner signs in
   through the sign-in form (pages) and `POST /api/v1/auth/token` (API) as the bench regional manager and the
   first store's advisor, warms up, then asks every page of both databases in turn, `--rounds` times. A
   page's time is the server's own (`Server-Timing: app;dur=`); its median is divided by the median of
   `/healthz` on the same server in the same rounds, and by the same page's median on the 10k database
   (growth). The pages: the API's order list filtered by status and the API's order (`/api/v1/work-orders`),
   and the order list and order page (`/service/orders/`) when those views exist.
2. The walk: a gunicorn with `--walk-workers` sync workers on a copy of one database, and `--walk-clients`
   client threads, each creating a maintenance order and walking it through every step as the right role
   (advisor, parts keeper, dispatcher, technician, inspector, cashier, advisor), for `--walk-seconds`
   (after one client alone for `--walk-single-seconds`, the reference). Reports orders/s and each request
   kind's time (client wall time and server time, p50 and p95), then checks the walked orders and the stock
   ledger in the database.

Prints tables, writes `var/bench/orders.json` (`--json`), exits 1 when a gated page exceeds `--max-ratio` ×
`/healthz` (3, the issue's goal) or `--max-growth` × its time at 10k (1.5), when a page's query count
differs between the sizes, or when the walk failed.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG = os.environ.get("BENCH_ORDERS_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PREFIX = "aftersales_bench_orders"
SMALL, BIG, WALK = f"{PREFIX}_10k", f"{PREFIX}_1m", f"{PREFIX}_walk"
#: The order statuses the API list is filtered by in the page timings.
LIST_STATUS = "in_progress"
WALK_KINDS = (
    "create",
    "line_labour",
    "line_part",
    "submit_estimate",
    "approve",
    "issue_parts",
    "dispatch",
    "job_start",
    "job_finish",
    "qc_pass",
    "settle",
    "deliver",
)
WALK_ROLES = ("service_advisor", "parts_keeper", "dispatcher", "technician", "qc_inspector", "cashier")


# -- databases ----------------------------------------------------------------------------------------------------------


def _allowed(name: str) -> str:
    if not name.startswith(PREFIX):
        raise SystemExit(f"refusing to touch database {name!r}: this benchmark uses {PREFIX}* databases only")
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


def database_clone(template: str, name: str) -> None:
    pg_admin(
        f'DROP DATABASE IF EXISTS "{_allowed(name)}" WITH (FORCE)',
        f'CREATE DATABASE "{_allowed(name)}" TEMPLATE "{_allowed(template)}"',
    )


def database_drop(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{_allowed(name)}" WITH (FORCE)')


def django_env(database: str) -> dict[str, str]:
    from bench.run import server_environment

    return server_environment(f"{PG}/{_allowed(database)}")


def manage(database: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=django_env(database), check=True)


def prepare_base(database: str, orders: int, *, stores: int, batch: int) -> None:
    """The base database: made if missing, migrated, topped up to `orders` orders (nothing if it holds them)."""
    if not database_exists(database):
        print(f"creating {database}", flush=True)
        pg_admin(f'CREATE DATABASE "{_allowed(database)}"')
    manage(database, "migrate", "--noinput", "-v", "0")
    manage(database, "createcachetable")
    manage(database, "bench_orders_seed", "--orders", str(orders), "--stores", str(stores), "--batch", str(batch))


def in_subprocess(database: str, mode: str, *extra: str) -> dict:
    """Run `python -m bench.orders --<mode> FILE` on `database` and read the JSON it writes."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "bench.orders", f"--{mode}", out.name, *extra]
        subprocess.run(command, cwd=ROOT, env=django_env(database), check=True)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


# -- talking to the app: over HTTP, or in process for the tests ---------------------------------------------------------


@dataclass
class Reply:
    status: int
    data: object
    server_ms: float
    wall_ms: float
    headers: dict = field(default_factory=dict)


def _server_ms(header: str) -> float:
    import re

    match = re.search(r"app;dur=([\d.]+)", header or "")
    if not match:
        raise SystemExit("no Server-Timing header: is ServerTimingMiddleware installed?")
    return float(match.group(1))


class HttpTransport:
    """Requests to a live server on 127.0.0.1 (one connection per request: gunicorn's sync workers close them)."""

    def __init__(self, port: int):
        self.port = port

    def send(self, method: str, path: str, *, token: str = "", body=None, cookies: dict | None = None) -> Reply:
        headers = {"Host": f"{HOST}:{self.port}", "Connection": "close", "Accept-Language": "en"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        wall = (time.perf_counter() - started) * 1000
        data = json.loads(raw) if response.getheader("Content-Type", "").startswith("application/json") else raw
        return Reply(response.status, data, _server_ms(response.getheader("Server-Timing")), wall)


class InProcessTransport:
    """The same requests through Django's test client, in process (the smoke tests)."""

    def __init__(self, client):
        self.client = client

    def send(self, method: str, path: str, *, token: str = "", body=None, cookies: dict | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        response = self.client.generic(
            method, path, data=json.dumps(body) if body is not None else "", content_type="application/json",
            headers=headers,
        )  # fmt: skip
        wall = (time.perf_counter() - started) * 1000
        is_json = response.get("Content-Type", "").startswith("application/json")
        data = response.json() if is_json else response.content
        return Reply(response.status_code, data, _server_ms(response.get("Server-Timing")), wall)


class WalkError(Exception):
    pass


def token_for(transport, username: str, password: str) -> str:
    reply = transport.send("POST", "/api/v1/auth/token", body={"username": username, "password": password})
    if reply.status != 200:
        raise WalkError(f"no API token for {username}: {reply.status} {reply.data}")
    return reply.data["token"]


# -- the walk ----------------------------------------------------------------------------------------------------------


def walk_prepare(*, clients: int) -> dict:
    """Inside Django: who each client acts as, the first store's customers with vehicles and the walk parts."""
    from aftersales.customers.models import Asset
    from aftersales.org.models import Branch, User
    from aftersales.parts.models import Part, StockBalance
    from aftersales.service.models import ServiceOrder
    from bench.orders_seed import PARTS, STAFF, WALK_PARTS, staff_username
    from bench.seed import PASSWORD, STORE_PREFIX

    store = Branch.objects.get(code=f"{STORE_PREFIX}01")
    people = {}
    for role, count in STAFF.items():
        people[role] = []
        for number in range(1, count + 1):
            user = User.objects.get(username=staff_username(role, store, number))
            people[role].append({"username": user.username, "id": user.pk})
    cast = [
        {role: people[role][client % len(people[role])] for role in WALK_ROLES} for client in range(max(1, clients))
    ]
    vehicles = list(
        Asset.objects.filter(branch=store, kind="vehicle", active=True)
        .order_by("id")
        .values_list("customer_id", "id")[:500]
    )
    codes = [code for code, *_ in PARTS[:WALK_PARTS]]
    parts = list(Part.objects.filter(code__in=codes).order_by("code").values_list("id", flat=True))
    stock = {
        b.part_id: str(b.available) for b in StockBalance.objects.filter(part_id__in=parts, warehouse__branch=store)
    }
    last = ServiceOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return {
        "branch": store.pk,
        "branch_code": store.code,
        "password": PASSWORD,
        "cast": cast,
        "vehicles": vehicles,
        "parts": parts,
        "stock": stock,
        "last_order_id": last,
    }


def walk_tokens(transport, data: dict, client: int, cache: dict | None = None) -> dict[str, str]:
    """A bearer token for each role of one client (one per user: clients sharing a user share its token)."""
    cache = {} if cache is None else cache
    tokens = {}
    for role, person in data["cast"][client % len(data["cast"])].items():
        if person["username"] not in cache:
            cache[person["username"]] = token_for(transport, person["username"], data["password"])
        tokens[role] = cache[person["username"]]
    return tokens


def walk_order(transport, data: dict, tokens: dict, *, client: int, serial: int) -> list[tuple[str, int, float, float]]:
    """Create one order and walk it from reception to delivery; (kind, status, wall ms, server ms) per request."""
    cast = data["cast"][client % len(data["cast"])]
    timings: list[tuple[str, int, float, float]] = []

    def call(kind, role, method, path, body=None, expect=200) -> dict:
        reply = transport.send(method, path, token=tokens[role], body=body if body is not None else {})
        timings.append((kind, reply.status, reply.wall_ms, reply.server_ms))
        if reply.status != expect:
            raise WalkError(f"client {client}, order {serial}: {kind} answered {reply.status}: {reply.data!r:.300}")
        return reply.data

    customer, asset = data["vehicles"][(client * 7919 + serial * 31) % len(data["vehicles"])]
    part = data["parts"][(client + serial) % len(data["parts"])]
    promised = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=4)).isoformat(timespec="seconds")
    order = call(
        "create",
        "service_advisor",
        "POST",
        "/api/v1/work-orders",
        {
            "branch": data["branch"],
            "customer": customer,
            "asset": asset,
            "type": "maintenance",
            "mileage": 10_000 + serial,
            "concerns": "保养，刹车有异响",
            "promised_at": promised,
        },
        expect=201,
    )
    base = f"/api/v1/work-orders/{order['id']}"
    labour = call(
        "line_labour",
        "service_advisor",
        "POST",
        f"{base}/lines",
        {"kind": "labour", "name": "更换机油机滤", "hours": "1.5", "rate": "120", "payer": "customer"},
        expect=201,
    )
    call(
        "line_part",
        "service_advisor",
        "POST",
        f"{base}/lines",
        {"kind": "part", "part": part, "quantity": "1", "payer": "customer"},
        expect=201,
    )
    call("submit_estimate", "service_advisor", "POST", f"{base}/actions/submit_estimate")
    approved = call(
        "approve", "service_advisor", "POST", f"{base}/actions/approve", {"method": "phone", "by": "车主本人"}
    )
    call("issue_parts", "parts_keeper", "POST", f"{base}/actions/issue_parts")
    assignment = {"line": labour["id"], "technician": cast["technician"]["id"]}
    call("dispatch", "dispatcher", "POST", f"{base}/actions/dispatch", {"assignments": [assignment]})
    call("job_start", "technician", "POST", f"/api/v1/jobs/{labour['id']}/actions/start")
    call(
        "job_finish",
        "technician",
        "POST",
        f"/api/v1/jobs/{labour['id']}/actions/finish",
        {"self_check": {"passed": True, "notes": "ok"}},
    )
    call("qc_pass", "qc_inspector", "POST", f"{base}/actions/qc_pass")
    payable = approved["totals"]["customer_payable"]
    call("settle", "cashier", "POST", f"{base}/actions/settle", {"payments": [{"method": "wechat", "amount": payable}]})
    delivered = call("deliver", "service_advisor", "POST", f"{base}/actions/deliver")
    if delivered["status"] != "delivered" or not delivered.get("release_pass"):
        raise WalkError(f"client {client}, order {serial}: not delivered: {delivered!r:.300}")
    return timings


def walk_check(*, after_id: int) -> dict:
    """Inside Django, after the walk: the walked orders' statuses and events, and the ledger against the balances."""
    from django.db.models import Count

    from aftersales.service.models import ServiceOrder
    from bench.stock_seed import ledger_mismatches

    walked = ServiceOrder.objects.filter(pk__gt=after_id)
    statuses = dict(walked.values_list("status").annotate(n=Count("id")).order_by())
    events = list(walked.annotate(n=Count("events")).values_list("n", flat=True))
    problems = ledger_mismatches()
    return {
        "orders": sum(statuses.values()),
        "statuses": statuses,
        "events_per_order": statistics.median(events) if events else 0,
        "ledger_mismatches": len(problems),
        "ledger_examples": problems[:5],
    }


@dataclass
class WalkClient:
    number: int
    tokens: dict
    orders: int = 0
    timings: list = field(default_factory=list)
    error: str = ""
    finished_at: float = 0.0


def run_walk_clients(transport, data: dict, *, clients: int, seconds: float, orders: int | None) -> dict:
    """`clients` threads walking orders until `seconds` pass (or `orders` are done); one unmeasured order each first."""
    cache: dict[str, str] = {}
    walkers = [WalkClient(number=c, tokens=walk_tokens(transport, data, c, cache)) for c in range(clients)]
    started_at = [0.0]
    ready = threading.Barrier(clients + 1, action=lambda: started_at.__setitem__(0, time.perf_counter()))
    lock = threading.Lock()
    budget = [orders]

    def take() -> bool:
        with lock:
            if budget[0] is None:
                return time.perf_counter() - started_at[0] < seconds
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def run(walker: WalkClient) -> None:
        serial = walker.number * 1_000_000
        try:
            walk_order(transport, data, walker.tokens, client=walker.number, serial=serial)  # warm-up
        except WalkError as exc:
            walker.error = str(exc)
        ready.wait()
        while not walker.error and take():
            serial += 1
            try:
                walker.timings += walk_order(transport, data, walker.tokens, client=walker.number, serial=serial)
            except (WalkError, OSError) as exc:
                walker.error = str(exc)
                break
            walker.orders += 1
        walker.finished_at = time.perf_counter()

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in walkers]
    for thread in threads:
        thread.start()
    ready.wait()  # every client has walked its warm-up order: the clock starts (the barrier's action)
    for thread in threads:
        thread.join()
    elapsed = max(w.finished_at for w in walkers) - started_at[0]
    done = sum(w.orders for w in walkers)
    kinds = {}
    for kind in WALK_KINDS:
        rows = [t for w in walkers for t in w.timings if t[0] == kind]
        if rows:
            kinds[kind] = {
                "requests": len(rows),
                "wall_p50_ms": percentile([r[2] for r in rows], 50),
                "wall_p95_ms": percentile([r[2] for r in rows], 95),
                "server_p50_ms": percentile([r[3] for r in rows], 50),
                "server_p95_ms": percentile([r[3] for r in rows], 95),
            }
    requests = sum(k["requests"] for k in kinds.values())
    return {
        "clients": clients,
        "orders": done,
        "seconds": round(elapsed, 3),
        "orders_per_s": done / elapsed if elapsed > 0 else 0.0,
        "requests_per_s": requests / elapsed if elapsed > 0 else 0.0,
        "per_client": [w.orders for w in walkers],
        "kinds": kinds,
        "errors": [w.error for w in walkers if w.error],
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return round(ordered[min(len(ordered) - 1, round(len(ordered) * p / 100 + 0.5) - 1)], 3)


# -- the pages -----------------------------------------------------------------------------------------------------------


def _html_pages_exist() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("service:order_list")
        reverse("service:order_detail", args=[1])
    except NoReverseMatch:
        return False
    return True


def page_plan(order_id: int, *, html: bool, store_id: int) -> list[dict]:
    """The pages asked of one person: key, label, path, how it signs in, and whether the 3× goal applies."""

    def page(key, label, path, auth, gated=True):
        return {"key": key, "label": label, "path": path, "auth": auth, "gated": gated}

    pages = [
        page("shell", "signed-in page without data (password form)", "/accounts/password/", "session", gated=False),
        page("api_shell", "API call without orders (one branch)", f"/api/v1/branches/{store_id}", "token", gated=False),
        page("api_list_status", f"API order list, status={LIST_STATUS}", f"/api/v1/work-orders?status={LIST_STATUS}", "token"),
        page("api_detail", "API order (lines, totals, events)", f"/api/v1/work-orders/{order_id}", "token"),
        page("api_list", "API order list, unfiltered (exact count)", "/api/v1/work-orders", "token", gated=False),
    ]  # fmt: skip
    if html:
        from django.urls import reverse

        listing = reverse("service:order_list")
        pages += [
            page("page_list", "order list page", listing, "session"),
            page("page_list_status", f"order list page, status={LIST_STATUS}", f"{listing}?{urlencode({'status': LIST_STATUS})}", "session"),
            page("page_list_open", "order list page, open orders", f"{listing}?status=open", "session"),
            page("page_detail", "order page", reverse("service:order_detail", args=[order_id]), "session"),
        ]  # fmt: skip
    return pages


def typical_order(user):
    """The order page measured: a delivered order of three lines and fifteen events (one job and two parts, the
    whole timeline), the first such from the middle of the person's orders, so both sizes show the same shape."""
    from django.db.models import Count

    from aftersales.service.models import ServiceOrder

    delivered = ServiceOrder.objects.for_user(user).filter(status="delivered").order_by("id")
    middle = delivered.count() // 2
    ids = list(delivered.values_list("id", flat=True)[middle : middle + 300])
    counted = (
        ServiceOrder.objects.filter(pk__in=ids)
        .annotate(n_lines=Count("lines", distinct=True), n_events=Count("events", distinct=True))
        .order_by("id")
    )
    return (
        counted.filter(n_lines=3, n_events=15).first()
        or counted.filter(n_lines=3).first()
        or ServiceOrder.objects.get(pk=ids[0])
    )


def pages_prepare() -> dict:
    """Inside Django: the pages to ask of each person, and each page's SQL queries (after one unmeasured request)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from aftersales.org.models import User
    from aftersales.org.services import api_token_issue
    from aftersales.service.models import ServiceOrder
    from bench.seed import ADVISOR, PASSWORD, REGIONAL, bench_region

    region = bench_region()
    users = {
        "region": User.objects.filter(username=REGIONAL).first(),
        "advisor": User.objects.filter(username=ADVISOR).first(),
    }
    if region is None or not all(users.values()):
        raise SystemExit(f"No bench orders in {connection.settings_dict['NAME']}: run `manage.py bench_orders_seed`.")
    html = _html_pages_exist()
    result = {
        "orders": ServiceOrder.objects.filter(branch__parent=region).count(),
        "html_pages": html,
        "baseline": {"key": "healthz", "label": "/healthz (baseline)", "path": "/healthz", "auth": "none", "gated": False},
        "people": {},
        "unavailable": [],
    }  # fmt: skip

    def count(client, path) -> tuple[int, int]:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        return response.status_code, len(captured.captured_queries)

    status, result["baseline"]["queries"] = count(Client(), "/healthz")
    for who, user in users.items():
        order = typical_order(user)
        session = Client()
        session.force_login(user)
        token = api_token_issue(username=user.username, password=PASSWORD, address="127.0.0.1")
        api = Client(headers={"Authorization": f"Bearer {token}"})
        pages = []
        for page in page_plan(order.pk, html=html, store_id=users["advisor"].employee.branch_id):
            status, page["queries"] = count(session if page["auth"] == "session" else api, page["path"])
            if status != 200:
                result["unavailable"].append(f"{who}: {page['path']} answered {status}")
                continue
            pages.append(page)
        result["people"][who] = {
            "username": user.username,
            "password": PASSWORD,
            "visible": ServiceOrder.objects.for_user(user).count(),
            "order": {"id": order.pk, "number": order.number, "lines": order.lines.count(), "events": order.events.count()},
            "pages": pages,
        }  # fmt: skip
    return result


@dataclass
class Page:
    key: str
    label: str
    path: str
    auth: str
    gated: bool
    queries: int
    token: str = ""
    cookies: dict = field(default_factory=dict)
    server_ms: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.server_ms)

    def p90(self) -> float:
        ordered = sorted(self.server_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn serving one database (sync workers, DEBUG off), as `bench.run` starts it."""

    def __init__(self, database: str, *, workers: int = 1):
        self.database, self.workers = database, workers
        self.env = django_env(database)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> HttpTransport:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{self.port}"]
        command += ["--workers", str(self.workers), "--log-level", "warning", "--timeout", "120"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        transport = HttpTransport(self.port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the app server for {self.database} exited with status {self.process.returncode}")
            try:
                if transport.send("GET", "/healthz").status == 200:
                    return transport
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the app server for {self.database} did not answer /healthz in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Target:
    """One database's pages: its server, its baseline and the pages of each person."""

    def __init__(self, name: str, database: str):
        self.name, self.database = name, database
        manage(database, "collectstatic", "--noinput", "-v", "0")  # DEBUG off serves hashed names from a manifest
        self.info = in_subprocess(database, "prepare")
        self.server = Server(database)
        self.baseline = Page(**self.info["baseline"])
        self.pages = {who: [Page(**page) for page in p["pages"]] for who, p in self.info["people"].items()}

    def start(self) -> None:
        from bench.run import sign_in

        transport = self.server.start()
        for who, person in self.info["people"].items():
            cookies = sign_in(self.server.port, person["username"], person["password"])
            token = token_for(transport, person["username"], person["password"])
            for page in self.pages[who]:
                page.cookies, page.token = cookies, token

    def plan(self) -> list[tuple[HttpTransport, Page]]:
        transport = HttpTransport(self.server.port)
        return [(transport, self.baseline)] + [(transport, page) for pages in self.pages.values() for page in pages]


def measure(plan: list[tuple[HttpTransport, Page]], *, rounds: int, warmup: int) -> None:
    def ask(transport, page):
        if page.auth == "token":
            reply = transport.send("GET", page.path, token=page.token)
        else:
            reply = transport.send("GET", page.path, cookies=page.cookies or None)
        if reply.status != 200:
            raise SystemExit(f"{page.path} answered {reply.status}")
        return reply

    for _ in range(warmup):
        for transport, page in plan:
            ask(transport, page)
    for number in range(rounds):
        shift = number % len(plan)  # round-robin, one further each round: no page always follows the same one
        for transport, page in plan[shift:] + plan[:shift]:
            page.server_ms.append(ask(transport, page).server_ms)


def report_pages(big: Target, small: Target, max_ratio: float, max_growth: float) -> tuple[list[str], list[str], dict]:
    lines, failures = [], []
    results: dict = {"targets": {}, "pages": {}}
    for target in (big, small):
        results["targets"][target.name] = {
            "database": target.database,
            "orders": target.info["orders"],
            "healthz_median_ms": round(target.baseline.median(), 3),
            "healthz_p90_ms": round(target.baseline.p90(), 3),
            "healthz_queries": target.baseline.queries,
            "people": {
                who: {k: p[k] for k in ("username", "visible", "order")} for who, p in target.info["people"].items()
            },
        }
    lines.append("Server time in ms (median, 90th percentile), ratio to /healthz (×hz), SQL queries per page.")
    lines.append(f"Left: {big.name} ({big.info['orders']:,} orders); right: {small.name} ({small.info['orders']:,}).")
    lines.append(
        f"{'page':<46} {'median':>7} {'p90':>7} {'×hz':>6} {'SQL':>4} │ {'median':>7} {'×hz':>6} {'SQL':>4} │ {'growth':>6}"
    )
    lines.append(
        f"{'/healthz (baseline)':<46} {big.baseline.median():>7.2f} {big.baseline.p90():>7.2f} {1:>6.1f} "
        f"{big.baseline.queries:>4} │ {small.baseline.median():>7.2f} {1:>6.1f} {small.baseline.queries:>4} │"
    )
    for who, pages in big.pages.items():
        person = big.info["people"][who]
        order = person["order"]
        lines.append(
            f"-- as {person['username']} ({person['visible']:,} orders visible; order {order['number']}: "
            f"{order['lines']} lines, {order['events']} events)"
        )
        results["pages"][who] = []
        others = {page.key: page for page in small.pages.get(who, [])}
        for page in pages:
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
            other = others.get(page.key)
            if other is None:
                failures.append(f"{who}: {page.label} was not measured on {small.name}")
            else:
                other_ratio = other.median() / small.baseline.median()
                growth = page.median() / other.median()
                row[small.name] = {
                    "median_ms": round(other.median(), 3),
                    "ratio": round(other_ratio, 2),
                    "queries": other.queries,
                }
                row["growth"] = round(growth, 2)
                line += f" │ {other.median():>7.2f} {other_ratio:>6.1f} {other.queries:>4} │ {growth:>6.2f}"
                if page.gated and growth > max_growth:
                    failures.append(
                        f"{who}: {page.label} takes {growth:.2f}× as long at {big.name} as at {small.name} "
                        f"(limit {max_growth:g}×)"
                    )
                if other.queries != page.queries:
                    failures.append(
                        f"{who}: {page.label} runs {page.queries} queries at {big.name}, {other.queries} at {small.name}"
                    )
            lines.append(line + ("" if page.gated else "  (not gated)"))
            results["pages"][who].append(row)
    return lines, failures, results


def measure_pages(args) -> tuple[list[str], list[str], dict]:
    big, small = Target("1M", BIG), Target("10k", SMALL)
    for target in (big, small):
        for note in target.info["unavailable"]:
            print(f"not measured on {target.name}: {note}", flush=True)
    try:
        big.start()
        small.start()
        plan = big.plan() + small.plan()
        print(f"pages: {args.warmup} warm-up rounds, then {args.rounds} rounds of {len(plan)} requests …", flush=True)
        started = time.monotonic()
        measure(plan, rounds=args.rounds, warmup=args.warmup)
        elapsed = time.monotonic() - started
    finally:
        big.server.stop()
        small.server.stop()
    lines, failures, results = report_pages(big, small, args.max_ratio, args.max_growth)
    results["rounds"], results["warmup"], results["elapsed_s"] = args.rounds, args.warmup, round(elapsed, 1)
    results["html_pages"] = big.info["html_pages"]
    results["unavailable"] = big.info["unavailable"] + small.info["unavailable"]
    if not big.info["html_pages"]:
        lines.append("(the order list and order pages do not exist yet: only the API was measured)")
    return lines, failures, results


def measure_walk(args) -> tuple[list[str], list[str], dict]:
    base = BIG if args.walk_on == "1m" else SMALL
    print(f"walk: copying {base} to {WALK} …", flush=True)
    started = time.monotonic()
    database_clone(base, WALK)
    copy_s = time.monotonic() - started
    server = Server(WALK, workers=args.walk_workers)
    single = None
    try:
        data = in_subprocess(WALK, "walk-prepare", "--walk-clients", str(args.walk_clients))
        transport = server.start()
        if args.walk_single_seconds:
            print(f"walk: one client alone for {args.walk_single_seconds:g} s (the reference) …", flush=True)
            single = run_walk_clients(transport, data, clients=1, seconds=args.walk_single_seconds, orders=None)
        what = f"{args.walk_orders} orders" if args.walk_orders else f"{args.walk_seconds:g} s"
        print(
            f"walk: {args.walk_clients} clients, {args.walk_workers} gunicorn workers, {what} on a copy of {base} …",
            flush=True,
        )
        result = run_walk_clients(
            transport, data, clients=args.walk_clients, seconds=args.walk_seconds, orders=args.walk_orders
        )
        server.stop()
        result["check"] = in_subprocess(WALK, "walk-check", "--after-id", str(data["last_order_id"]))
    finally:
        server.stop()
        if not args.keep:
            database_drop(WALK)
    result.update({"database": base, "workers": args.walk_workers, "copy_s": round(copy_s, 1), "single": single})
    lines, failures = [], []
    lines.append(
        f"Walk: {result['orders']:,} orders from reception to delivery in {result['seconds']:.1f} s by "
        f"{result['clients']} clients ({result['per_client']}), {args.walk_workers} workers, on a copy of {base}"
    )
    lines.append(
        f"  {result['orders_per_s']:.2f} orders/s, {result['requests_per_s']:.1f} requests/s (12 requests an order)"
    )
    if single:
        lines.append(
            f"  one client alone: {single['orders']} orders in {single['seconds']:.1f} s, "
            f"{single['orders_per_s']:.2f} orders/s"
        )
    head = f"{'request':<18} {'n':>6} {'wall p50':>9} {'wall p95':>9} {'server p50':>11} {'server p95':>11}"
    lines.append(head + (f" │ {'alone p50':>9}" if single else ""))
    for kind, row in result["kinds"].items():
        line = (
            f"{kind:<18} {row['requests']:>6} {row['wall_p50_ms']:>9.1f} {row['wall_p95_ms']:>9.1f} "
            f"{row['server_p50_ms']:>11.1f} {row['server_p95_ms']:>11.1f}"
        )
        if single and kind in single["kinds"]:
            line += f" │ {single['kinds'][kind]['server_p50_ms']:>9.1f}"
        lines.append(line)
    check = result["check"]
    lines.append(
        f"  afterwards: {check['orders']:,} walked orders ({check['statuses']}), median {check['events_per_order']} "
        f"events each; ledger vs balances: {check['ledger_mismatches']} off"
    )
    errors = result["errors"] + (single["errors"] if single else [])
    failures += [f"walk: {error}" for error in errors]
    expected = result["orders"] + args.walk_clients  # with each client's warm-up order
    if single:
        expected += single["orders"] + 1
    if check["statuses"] != {"delivered": expected} and not errors:
        failures.append(f"walk: the walked orders are {check['statuses']}, expected {expected} delivered")
    if check["ledger_mismatches"]:
        failures.append(f"walk: ledger inconsistent: {check['ledger_examples']}")
    if not result["orders"]:
        failures.append("walk: no order was walked")
    return lines, failures, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.orders", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-orders", type=int, default=10_000, help="orders in the small database (10,000)")
    parser.add_argument("--big-orders", type=int, default=1_000_000, help="orders in the big database (1,000,000)")
    parser.add_argument("--stores", type=int, default=4, help="bench stores (4)")
    parser.add_argument("--seed-batch", type=int, default=2000, help="orders per seed transaction (2,000)")
    parser.add_argument("--rounds", type=int, default=200, help="measured rounds over every page (200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first (20)")
    parser.add_argument("--max-ratio", type=float, default=3.0, help="highest median ratio to /healthz (3)")
    parser.add_argument("--max-growth", type=float, default=1.5, help="highest median ratio 1M ÷ 10k (1.5)")
    parser.add_argument("--walk-on", choices=("1m", "10k"), default="1m", help="the database the walk copies (1m)")
    parser.add_argument("--walk-clients", type=int, default=4, help="concurrent API clients (4)")
    parser.add_argument("--walk-workers", type=int, default=4, help="gunicorn sync workers for the walk (4)")
    parser.add_argument("--walk-seconds", type=float, default=60, help="how long the clients walk orders (60)")
    parser.add_argument("--walk-orders", type=int, help="walk this many orders instead of --walk-seconds")
    parser.add_argument(
        "--walk-single-seconds", type=float, default=20, help="first, one client alone for this long (20; 0: skip)"
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the page timings")
    parser.add_argument("--no-walk", action="store_true", help="skip the API walk")
    parser.add_argument("--keep", action="store_true", help="keep the walk's copy of the database")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "orders.json"), help="results file")
    parser.add_argument("--prepare", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--walk-prepare", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--walk-check", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--after-id", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    inner = {"prepare": args.prepare, "walk_prepare": args.walk_prepare, "walk_check": args.walk_check}
    for mode, out in inner.items():
        if out:
            import django

            django.setup()
            if mode == "prepare":
                answer = pages_prepare()
            elif mode == "walk_prepare":
                answer = walk_prepare(clients=args.walk_clients)
            else:
                answer = walk_check(after_id=args.after_id)
            Path(out).write_text(json.dumps(answer, ensure_ascii=False, default=str), encoding="utf-8")
            return 0

    started = time.monotonic()
    load_before = os.getloadavg()
    for database, orders in ((SMALL, args.small_orders), (BIG, args.big_orders)):
        print(f"preparing {database} ({orders:,} orders)", flush=True)
        prepare_base(database, orders, stores=args.stores, batch=args.seed_batch)
    machine = _machine(SMALL)
    document: dict = {"when": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine}
    failures: list[str] = []
    output: list[str] = []
    if not args.no_pages:
        lines, missed, document["pages"] = measure_pages(args)
        output += [*lines, ""]
        failures += missed
    if not args.no_walk:
        lines, missed, document["walk"] = measure_walk(args)
        output += lines
        failures += missed
    document["load_average"] = {"before": load_before, "after": os.getloadavg()}
    document["settings"] = {k: v for k, v in vars(args).items() if k not in ("prepare", "walk_prepare", "walk_check")}
    document["failures"] = failures
    document["elapsed_s"] = round(time.monotonic() - started, 1)
    print()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']}, {machine['database']}")
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print("\n".join(output))
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nWritten to {path} ({time.monotonic() - started:.0f} s)")
    if failures:
        print("\nGOALS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nOK: every goal met.")
    return 0


def _machine(database: str) -> dict:
    answer = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup(); from bench.run import machine_info; "
         "print(json.dumps(machine_info()))"],
        cwd=ROOT, env=django_env(database), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(answer.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
