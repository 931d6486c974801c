"""The day plan through the service, database included: `dispatch_plan` for the 300-job, 60-technician day of
`bench.dispatch`, as a dispatcher gets it from the page or the API.

    .venv/bin/python -m bench.dispatch_service          # --rounds 7; DATABASE_URL as usual (SQLite by default)

It migrates a database of its own (`var/bench/dispatch.sqlite3` unless `DATABASE_URL` is set) when needed, writes
the generated day into it once (branch BD01: technicians with their skills and shifts, bays, one approved order
per generated order with its labour lines and promised time; rows written directly, not through the services,
since only the read matters here) and then times `dispatch_plan` for that day: wall and CPU time, median of
`--rounds`, and the number of SQL statements. The goal is the issue's: under 2 s for 300 jobs, on the process's
CPU clock (the machines are shared: wall time counts whatever else holds the cores, so it is reported, not judged;
on SQLite the database's work is in the process and counted). Exits 1 when the goal is missed or when the plan
breaks a rule.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 2.0
BRANCH = "BD01"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "DATABASE_URL" not in os.environ:
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'dispatch.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(day, plan_date: dt.date):
    """Write the generated day (bench.dispatch.Day) for `plan_date`; returns (branch, dispatcher, {job id: line})."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from aftersales.customers.models import Asset, Customer
    from aftersales.org.models import Branch, Employee, User
    from aftersales.service.models import ServiceOrder, ServiceOrderLine
    from aftersales.workshop.models import Bay, TechnicianShift, TechnicianSkill, WorkshopSettings
    from aftersales.workshop.services.calendar import day_origin

    Branch.objects.filter(code=BRANCH).exists() and _clear(BRANCH)
    branch = Branch.objects.create(code=BRANCH, name="调度基准店")
    WorkshopSettings.objects.create(branch=branch, break_start=dt.time(12), break_end=dt.time(13))
    technician, dispatcher_group = Group.objects.get(name="technician"), Group.objects.get(name="dispatcher")
    dispatcher = User.objects.create_user(username="bd01-dispatcher")
    dispatcher.groups.add(dispatcher_group)
    Employee.objects.create(user=dispatcher, employee_no="BD-D", name="调度", branch=branch)
    for tech in day.techs:
        user = User.objects.create_user(username=f"bd01-{tech.id}")
        user.groups.add(technician)
        employee = Employee.objects.create(user=user, employee_no=f"BD{tech.id}", name=f"技师{tech.id}", branch=branch)
        TechnicianSkill.objects.bulk_create(
            [TechnicianSkill(employee=employee, skill=skill, level=level) for skill, level in tech.skills.items()]
        )
        start, end = tech.shift or (510, 1050)
        TechnicianShift.objects.create(
            employee=employee,
            start=dt.time(start // 60, start % 60),
            end=dt.time(end // 60, end % 60),
            break_start=dt.time(12),
            break_end=dt.time(13),
            weekly_off=[] if tech.shift else list(range(7)),
        )
    Bay.objects.bulk_create(
        [Bay(branch=branch, code=f"B{bay.id:02d}", name=f"工位{bay.id}", kinds=sorted(bay.kinds)) for bay in day.bays]
    )
    customer = Customer.objects.create(branch=branch, name="基准客户", mobile="13800000000")
    origin = day_origin(plan_date)
    lines = {}
    now = timezone.now()
    for order_id in sorted({job.order for job in day.jobs}):
        jobs = [job for job in day.jobs if job.order == order_id]
        asset = Asset.objects.create(customer=customer, branch=branch, kind="vehicle", plate=f"京B{order_id:05d}")
        due = jobs[0].due
        order = ServiceOrder.objects.create(
            number=f"WO-{BRANCH}-{order_id:05d}",
            branch=branch,
            customer=customer,
            asset=asset,
            status="approved",
            promised_at=origin + dt.timedelta(minutes=due) if due is not None else None,
            approved_at=now,
        )
        for job in jobs:
            lines[job.id] = ServiceOrderLine.objects.create(
                order=order,
                kind="labour",
                name=f"作业{job.id}",
                consent="approved",
                hours=(Decimal(job.minutes) / 60).quantize(Decimal("0.01")),
                skill=job.skill,
                min_level=job.min_level,
                bay_kind=job.bay_kind,
                job_status="unassigned",
            )
    return branch, dispatcher, lines


def _clear(code: str) -> None:
    raise SystemExit(f"branch {code} exists: remove var/bench/dispatch.sqlite3 (or the database) and run again")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch_service", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from aftersales.org.models import Branch
    from aftersales.workshop import planner
    from aftersales.workshop.services.dispatch import dispatch_plan
    from bench.dispatch import make_day

    day = make_day(300, 60, args.seed)
    plan_date = timezone.localdate() + dt.timedelta(days=1)
    with transaction.atomic():
        if Branch.objects.filter(code=BRANCH).exists():
            transaction.set_rollback(True)
        else:
            seed(day, plan_date)
    branch = Branch.objects.get(code=BRANCH)
    from aftersales.org.models import User

    dispatcher = User.objects.get(username="bd01-dispatcher")
    walls, cpus, statements = [], [], []
    proposed = None
    for _ in range(args.rounds):
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            wall, cpu = time.perf_counter(), time.process_time()
            proposed = dispatch_plan(actor=dispatcher, branch=branch, day=plan_date)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        statements.append(count[0])
    pure = planner.plan_day(proposed.day.jobs, proposed.day.techs, proposed.day.bays)
    same = len(pure.assignments) == len(proposed.plan.assignments)
    problems = planner.check_plan(proposed.plan, proposed.day.jobs, proposed.day.techs, proposed.day.bays)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"dispatch_plan, 300 jobs × 60 technicians on {connection.vendor}, {args.rounds} rounds")
    print(f"  wall {wall * 1000:.0f} ms (median; best {min(walls) * 1000:.0f} ms), CPU {cpu * 1000:.0f} ms")
    print(
        f"  SQL statements {statistics.median(statements):.0f}; planned {len(proposed.plan.assignments)}, "
        f"unassigned {len(proposed.plan.unassigned)}; rules broken {len(problems)}"
    )
    failures = []
    if cpu > GOAL_SECONDS:
        failures.append(f"planning took {cpu:.2f} s of CPU, goal < {GOAL_SECONDS:.0f} s")
    if problems or not same:
        failures.append("the plan breaks a rule or differs from the pure planner's")
    if failures:
        print("GOALS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print(f"OK: under {GOAL_SECONDS:.0f} s of CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
