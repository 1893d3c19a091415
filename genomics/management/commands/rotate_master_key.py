"""``python manage.py rotate_master_key [--retire VERSION]``: rotate or retire master keys.

Without options: if every wrapped key already uses the current master version, add a
new version (development key file; with operator-supplied keys, add it to
``HELIX_MASTER_KEY`` first), then rewrap every subject key and data key under the
current version in batches. A run that stops part-way is continued by the next one.
No vault file is rewritten. ``--retire VERSION`` removes an old version, refusing while
anything is still wrapped under it.
"""

from __future__ import annotations

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from genomics.management.commands._actor import command_actor
from genomics.selectors import master_key_usage
from genomics.services import master_key_retire, master_key_rotate
from governance.errors import DomainError


class Command(BaseCommand):
    help = "Add a master key version and rewrap every key under it (resumable), or retire an old version."

    def add_arguments(self, parser):
        parser.add_argument("--retire", type=int, metavar="VERSION")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--no-add", action="store_true", help="only rewrap to the current version"
        )
        parser.add_argument("--actor", help="username of the data steward running the rotation")

    def handle(self, *args, retire, batch_size, no_add, actor, **options):
        who = command_actor(actor)
        if not 1 <= batch_size <= 10000:
            raise CommandError("--batch-size: must be between 1 and 10000")
        try:
            if retire is not None:
                master_key_retire(actor=who, version=retire)
                self.stdout.write(
                    json.dumps({"retired": retire, "usage": master_key_usage()}, indent=2)
                )
                return
            result = master_key_rotate(actor=who, add_version=not no_add, batch_size=batch_size)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps(
                {
                    "current_version": result.current_version,
                    "added_version": result.added_version,
                    "subject_keys_rewrapped": result.subject_keys_rewrapped,
                    "key_material_rewrapped": result.key_material_rewrapped,
                    "remaining": result.remaining,
                    "usage": master_key_usage(),
                },
                indent=2,
            )
        )
