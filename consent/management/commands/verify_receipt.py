"""Verify a consent receipt (a signed JWT) and print its claims."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consent.receipts import receipt_verify, receipt_verify_with_jwks
from governance.errors import DomainError


class Command(BaseCommand):
    help = (
        "Verify a consent receipt. With --jwks FILE the check is offline, against that key set "
        "(as published at /.well-known/jwks.json); otherwise against this platform's key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="the receipt (a compact JWT) in a file, or - for standard input"
        )
        parser.add_argument("--jwks", help="a JWKS JSON file to verify against, offline")

    def _read(self, name: str) -> str:
        if name == "-":
            import sys

            return sys.stdin.read()
        try:
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise CommandError(f"{name}: cannot read") from None

    def handle(self, *args, file, jwks, **options):
        token = self._read(file).strip()
        try:
            if jwks:
                try:
                    key_set = json.loads(self._read(jwks))
                except json.JSONDecodeError:
                    raise CommandError(f"{jwks}: not valid JSON") from None
                claims = receipt_verify_with_jwks(token, key_set)
            else:
                claims = receipt_verify(token)
        except DomainError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        self.stdout.write("valid receipt")
        self.stdout.write(json.dumps(claims, indent=2, ensure_ascii=False))
