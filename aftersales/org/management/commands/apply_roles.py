from django.core.management.base import BaseCommand

from aftersales.org.roles import ROLES
from aftersales.org.services import roles_sync


class Command(BaseCommand):
    help = "Apply the role matrix in code (aftersales/org/roles.py) to the roles' groups. Also runs after migrate."

    def handle(self, *args, **options):
        roles_sync()
        self.stdout.write(f"{len(ROLES)} roles applied.")
