from django.core.management.base import BaseCommand

from aftersales.demo.seed import DEMO_PASSWORD, demo_seed, demo_signins


class Command(BaseCommand):
    help = "Load the demo dealership (idempotent) and print the demo sign-ins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the sign-ins.")

    def handle(self, *args, quiet=False, **options):
        created = demo_seed()
        self.stdout.write(
            f"Demo data: {created['people']} people, {created['customers']} customers, {created.get('parts', 0)} parts "
            f"and {created.get('orders', 0)} orders created "
            "(0 means it was already there)."
        )
        if quiet:
            return
        self.stdout.write(self.style.SUCCESS(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):"))
        for username, person, roles in demo_signins():
            self.stdout.write(f"  {username:<12} {person:<18} {roles}")
