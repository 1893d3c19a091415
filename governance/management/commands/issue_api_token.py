"""``python manage.py issue_api_token USERNAME [--days N]``: print a new API bearer token."""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from governance.auth.tokens import api_token_issue


class Command(BaseCommand):
    help = "Issue an API bearer token for a user; it is printed once and stored only as a digest."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username: str, days: int, name: str, **options):
        if not 1 <= days <= 365:
            raise CommandError("--days: must be between 1 and 365")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        self.stdout.write(api_token_issue(user=user, name=name, days=days))
