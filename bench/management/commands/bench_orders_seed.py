import time

from django.core.management.base import BaseCommand, CommandError

from bench.orders_seed import orders_seed


class Command(BaseCommand):
    help = (
        "Top the bench stores up to --orders service orders (bulk inserts consistent with the services: numbers, "
        "totals, states, events). Re-running continues; it never deletes. See docs/performance.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=10_000, help="Service orders wanted in the bench stores.")
        parser.add_argument(
            "--customers", type=int, help="Bench customers wanted (bench_seed); default orders / 10, at least 1000."
        )
        parser.add_argument("--stores", type=int, default=4, help="Bench stores (BN01 …).")
        parser.add_argument("--batch", type=int, default=2000, help="Orders per transaction.")

    def handle(self, *args, orders, customers, stores, batch, verbosity=1, **options):
        started = time.monotonic()
        shown = [0.0]

        def progress(done, wanted, rows):
            now = time.monotonic()
            if verbosity >= 1 and (now - shown[0] >= 10 or done == wanted):
                shown[0] = now
                self.stdout.write(
                    f"  {done:>11,} / {wanted:,} orders  ({now - started:.0f} s; {rows['lines']:,} lines, "
                    f"{rows['events']:,} events written)"
                )

        try:
            result = orders_seed(orders=orders, customers=customers, stores=stores, batch=batch, progress=progress)
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        rows = ", ".join(f"{value:,} {key.replace('_', ' ')}" for key, value in result.rows.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Service orders: {result.orders_created:,} created ({result.orders_before:,} were there): {rows}; "
                f"{result.seconds:.1f} s."
            )
        )
