import time

from django.core.management.base import BaseCommand, CommandError

from bench.seed import ADVISOR, PASSWORD, REGIONAL, bench_seed


class Command(BaseCommand):
    help = (
        "Fill the benchmark region with fake customers and vehicles (bulk inserts). Re-running tops it up to "
        "--customers; it never deletes. Also creates the people the benchmark signs in as."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000, help="Customers wanted in the bench region.")
        parser.add_argument("--branches", type=int, default=4, help="Stores of the bench region (BN01 …).")
        parser.add_argument("--batch", type=int, default=5000, help="Customers per transaction.")

    def handle(self, *args, customers, branches, batch, verbosity=1, **options):
        started = time.monotonic()

        def progress(done, wanted):
            if verbosity >= 1:
                self.stdout.write(f"  {done:>9,} / {wanted:,} customers  ({time.monotonic() - started:.0f} s)")

        try:
            result = bench_seed(customers=customers, branches=branches, batch=batch, progress=progress)
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Bench data: {result.customers_created:,} customers and {result.assets_created:,} vehicles created "
                f"({result.customers_before:,} were there) in {result.stores} stores, "
                f"{time.monotonic() - started:.1f} s."
            )
        )
        self.stdout.write(f"Sign-ins (password {PASSWORD}): {REGIONAL} (whole region), {ADVISOR} (store BN01).")
