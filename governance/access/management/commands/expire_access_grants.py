"""Record the expiry of every access grant whose expiry has passed."""

from django.core.management.base import BaseCommand

from governance.access.services import access_grants_expire


class Command(BaseCommand):
    help = (
        "Mark active access grants past their expiry as expired (audited as access.grant_expire)."
    )

    def handle(self, *args, **options):
        count = access_grants_expire()
        self.stdout.write(f"{count} grant(s) expired.")
