"""Warn advisors of orders that will miss their promised time: run it every few minutes (cron, a systemd timer).

manage.py workshop_watch_delays            # every branch
manage.py workshop_watch_delays --branch BJ01
"""

from django.core.management.base import BaseCommand, CommandError

from aftersales.org.models import Branch
from aftersales.workshop.services.delays import delays_watch


class Command(BaseCommand):
    help = "Warn each advisor once when an order is now expected to finish after its promised time."

    def add_arguments(self, parser):
        parser.add_argument("--branch", help="the branch code (default: every branch)")

    def handle(self, *args, branch=None, **options):
        target = None
        if branch:
            target = Branch.objects.filter(code=branch).first()
            if target is None:
                raise CommandError(f"No branch with code {branch}.")
        sent = delays_watch(branch=target)
        self.stdout.write(f"{sent} delay warning(s) sent.")
