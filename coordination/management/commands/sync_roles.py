from django.core.management.base import BaseCommand

from coordination.roles_sync import sync_roles


class Command(BaseCommand):
    help = "Create or update one Django group per staff role with exactly the role's permissions."

    def handle(self, *args, **options):
        for role, count in sync_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
