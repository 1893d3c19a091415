"""``python manage.py reconcile_exports``: re-queue stuck exports and remove orphan folders.

The same service the ``governance.exports_reconcile`` beat task runs. Prints a JSON
summary: the export IDs queued again and the number of folders removed.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from governance.exports.services import cohort_exports_reconcile


class Command(BaseCommand):
    help = "Re-queue exports stuck past HELIX_EXPORT_DEADLINE_SECONDS and clean orphan temporary folders."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(cohort_exports_reconcile().as_dict()))
