import time

from django.core.management.base import BaseCommand, CommandError

from bench.stock_seed import stock_seed


class Command(BaseCommand):
    help = (
        "Top the stock ledger up to --moves moves, posted through the ledger service in batches (bench parts "
        "BST-…, one warehouse per bench store). Re-running continues; it never deletes. See docs/performance.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--moves", type=int, default=10_000, help="Moves wanted in the ledger.")
        parser.add_argument("--parts", type=int, default=2000, help="Bench parts (BST-00001 …).")
        parser.add_argument("--warehouses", type=int, default=3, help="Bench stores, one warehouse each.")
        parser.add_argument("--batch", type=int, default=500, help="Moves per stock_post call (one transaction).")

    def handle(self, *args, moves, parts, warehouses, batch, verbosity=1, **options):
        started = time.monotonic()
        shown = [0.0]

        def progress(done, wanted):
            now = time.monotonic()
            if verbosity >= 1 and (now - shown[0] >= 10 or done == wanted):
                shown[0] = now
                rate = (done - result_before[0]) / max(now - started, 1e-9)
                self.stdout.write(f"  {done:>11,} / {wanted:,} moves  ({now - started:.0f} s, {rate:,.0f}/s)")

        from aftersales.parts.models import StockMove

        result_before = [StockMove.objects.count()]
        if warehouses < 2 or parts < 1:
            raise CommandError("Use at least 1 part and 2 warehouses.")
        result = stock_seed(moves=moves, parts=parts, warehouses=warehouses, batch=batch, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Stock ledger: {result.moves_created:,} moves posted through stock_post "
                f"({result.moves_before:,} were there), "
                f"{time.monotonic() - started:.1f} s."
            )
        )
