"""Streaming CSV and JSON of a filtered view of the ledger.

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are prefixed with a single quote.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet

from governance.compliance import ledger_port
from governance.ledger.models import AuditEvent

COLUMNS = ("seq", "time", "actor", "actor_id", "role", "action", "object_type", "object_id",
           "subject", "purpose", "outcome", "extra", "leaf_hash")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """The cell text, neutralised if a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(event: AuditEvent) -> dict:
    document = ledger_port.leaf_document(event)
    document["leaf_hash"] = event.leaf_hash
    return document


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for event in events.iterator(chunk_size=1000):
        row = _row(event)
        row["extra"] = json.dumps(row["extra"], sort_keys=True, separators=(",", ":"))
        yield writer.writerow([csv_safe(row[column]) for column in COLUMNS])


def json_chunks(events: QuerySet[AuditEvent]) -> Iterator[str]:
    yield "["
    first = True
    for event in events.iterator(chunk_size=1000):
        yield ("" if first else ",") + "\n" + json.dumps(_row(event), sort_keys=True, ensure_ascii=False)
        first = False
    yield "\n]\n"
