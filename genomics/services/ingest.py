"""Ingesting a VCF: validate, split per subject, encrypt to each subject's key, index.

All or nothing. The file is validated and split in one pass into a private work folder;
each subject's VCF is encrypted into the vault's staging folder; then one transaction
records the keys, files, index rows and audit events and moves the blobs into place.
Any failure removes every staged or published blob and the work folder, rolls the
database back, and records the rejection in the ledger (reason and line only).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from consent.models import Subject
from genomics import vault
from genomics.exceptions import SampleMapInvalid, SubjectErased
from genomics.ingest.split import Limits, SplitResult, remove_tree, split_vcf
from genomics.models import GenomicFile, SubjectKey, VariantCall
from genomics.services.keys import new_subject_key
from governance.audit import Action, Outcome, audit_append, audit_batch
from governance.errors import Conflict, DomainError, ValidationFailed

ASSEMBLIES = ("GRCh37", "GRCh38")
DEFAULT_ASSEMBLY = "GRCh37"
_SQLITE_CACHE_KIB = -65536  # 64 MiB, a fixed cap whatever the file size


@dataclass(frozen=True)
class IngestedFile:
    file_id: str
    subject_code: str
    records: int
    variants: int
    plaintext_sha256: str
    plaintext_size: int
    ciphertext_size: int


@dataclass(frozen=True)
class IngestSummary:
    ingest_id: str
    mode: str
    assembly: str
    source_sha256: str
    source_records: int
    samples: int
    samples_skipped: int
    files: list[IngestedFile]
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, for operators

    def as_dict(self) -> dict:
        return asdict(self)


def sample_map_parse(text: str) -> dict[str, str]:
    """Read a sample map: two tab-separated columns (sample ID, subject code), no header.

    Blank lines are refused rather than skipped, as are repeated sample IDs and subject
    codes (one subject gets one file per ingest).
    """
    mapping: dict[str, str] = {}
    codes: set[str] = set()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    for number, line in enumerate(lines, start=1):
        columns = line.rstrip("\r").split("\t")
        if len(columns) != 2 or not all(c.strip() for c in columns):
            raise SampleMapInvalid(
                f"sample map line {number}: expected two tab-separated columns, sample ID and subject code.",
                extra={"line": number},
            )
        sample, code = (c.strip() for c in columns)
        if sample in mapping:
            raise SampleMapInvalid(
                f"sample map line {number}: the sample appears twice.", extra={"line": number}
            )
        if code in codes:
            raise SampleMapInvalid(
                f"sample map line {number}: subject {code} appears twice.", extra={"line": number}
            )
        mapping[sample] = code
        codes.add(code)
    if not mapping:
        raise SampleMapInvalid("The sample map is empty.")
    return mapping


def _resolve_subjects(codes: list[str]) -> dict[str, Subject]:
    found = {}
    for start in range(0, len(codes), 900):  # stay under SQLite's bound-parameter limit
        found.update(
            (s.code, s) for s in Subject.objects.filter(code__in=codes[start : start + 900])
        )
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise SampleMapInvalid(
            f"Unknown subject code {unknown[0]} ({len(unknown)} unknown).",
            extra={"unknown": len(unknown)},
        )
    erased = [c for c in codes if found[c].erased_at is not None]
    if erased:
        raise SubjectErased(f"Subject {erased[0]} was erased: nothing more can be stored for them.")
    return found


def _limits() -> Limits:
    return Limits(
        max_bytes=settings.HELIX_MAX_UPLOAD_BYTES,
        max_decompressed=settings.HELIX_MAX_DECOMPRESSED_BYTES,
        max_line=settings.HELIX_MAX_LINE_BYTES,
    )


def _choose_assembly(detected: str | None, given: str | None) -> str:
    if given is not None and given not in ASSEMBLIES:
        raise ValidationFailed(f"assembly: must be one of {', '.join(ASSEMBLIES)}.")
    if detected and given and detected != given:
        raise ValidationFailed(
            f"assembly: the file's header names {detected}, but {given} was given."
        )
    return given or detected or DEFAULT_ASSEMBLY


def genomic_file_ingest(
    *,
    actor,
    path: str | Path | None = None,
    fileobj: BinaryIO | None = None,
    subject: Subject | str | None = None,
    sample_map: dict[str, str | Subject] | None = None,
    assembly: str | None = None,
    now: datetime | None = None,
) -> IngestSummary:
    """Ingest one VCF (4.1 to 4.4, plain or bgzip) for one subject or, with a sample map,
    for many. Returns what was stored; raises a ``DomainError`` naming the first problem.

    ``sample_map`` maps sample IDs to subjects (or subject codes). Samples in the file
    but not in the map are skipped and counted in ``samples_skipped``; a mapped sample
    missing from the file is an error.
    """
    now = now or timezone.now()
    ingest_id = uuid.uuid4()
    fresh_dirs = vault.created_dirs()
    workdir = vault.staging_dir() / f"ingest-{ingest_id.hex}"
    staged: list[vault.StagedBlob] = []
    published: list[Path] = []
    result: SplitResult | None = None
    try:
        if (path is None) == (fileobj is None):
            raise ValidationFailed("Give exactly one of a path or a file.")
        if (subject is None) == (sample_map is None):
            raise ValidationFailed("Give exactly one of a subject or a sample map.")
        if subject is not None:
            code = subject.code if isinstance(subject, Subject) else str(subject)
            wanted = {None: code}
        else:
            wanted = {
                str(k): (v.code if isinstance(v, Subject) else str(v))
                for k, v in sample_map.items()
            }
            if len(set(wanted.values())) != len(wanted):
                raise SampleMapInvalid("The sample map names a subject more than once.")
        subjects = _resolve_subjects(list(wanted.values()))
        clock = time.perf_counter()
        workdir.mkdir(mode=0o700)
        stream = open(path, "rb") if path is not None else fileobj  # noqa: SIM115 - closed below
        try:
            result = split_vcf(
                stream,
                workdir=workdir,
                limits=_limits(),
                subject_code=wanted.get(None) if subject is not None else None,
                sample_map=None if subject is not None else wanted,
            )
        finally:
            if path is not None:
                stream.close()
        seconds = {"validate_split_index": time.perf_counter() - clock}
        chosen_assembly = _choose_assembly(result.header.assembly, assembly)
        keys_by_code = {
            k.subject.code: k
            for k in SubjectKey.objects.select_related("subject").filter(
                subject__in=subjects.values(), destroyed_at__isnull=True
            )
        }
        versions = _last_key_versions(
            [s for code, s in subjects.items() if code not in keys_by_code]
        )
        new_keys = [
            new_subject_key(subject=s, now=now, version=versions.get(s.pk, 0) + 1)
            for code, s in subjects.items()
            if code not in keys_by_code
        ]
        keys_by_code.update({k.subject.code: k for k in new_keys})
        staged = vault.stage_many(
            [
                (t.open_plaintext(result.spills), bytes(keys_by_code[t.subject_code].public_key))
                for t in result.targets
            ]
        )
        seconds["keys_encrypt"] = time.perf_counter() - clock - sum(seconds.values())
        summary = _record(
            actor=actor,
            result=result,
            subjects=subjects,
            new_keys=new_keys,
            keys_by_code=keys_by_code,
            staged=staged,
            published=published,
            assembly=chosen_assembly,
            ingest_id=ingest_id,
            now=now,
        )
        seconds["record"] = time.perf_counter() - clock - sum(seconds.values())
        return dataclasses.replace(summary, seconds={k: round(v, 3) for k, v in seconds.items()})
    except BaseException as exc:
        vault.discard([s.path for s in staged] + published)
        if result is not None:
            result.spills.close()
            result = None
        remove_tree(workdir)
        vault.remove_if_empty(fresh_dirs)  # a failed first ingest leaves the vault as it was
        _audit_rejection(actor=actor, exc=exc, ingest_id=ingest_id, now=now)
        raise
    finally:
        if result is not None:
            result.spills.close()
        remove_tree(workdir)


def _last_key_versions(subjects: list[Subject]) -> dict[int, int]:
    """The highest key version each subject ever had (destroyed keys included), in one query."""
    if not subjects:
        return {}
    rows = (
        SubjectKey.objects.filter(subject__in=subjects)
        .values("subject_id")
        .annotate(last=Max("version"))
        .order_by()
    )
    return {row["subject_id"]: row["last"] for row in rows}


def _record(
    *,
    actor,
    result: SplitResult,
    subjects,
    new_keys,
    keys_by_code,
    staged,
    published,
    assembly,
    ingest_id,
    now,
) -> IngestSummary:
    user = actor if getattr(actor, "pk", None) is not None else None
    with transaction.atomic():
        locked = set(
            Subject.objects.select_for_update()
            .filter(pk__in=[s.pk for s in subjects.values()], erased_at__isnull=True)
            .values_list("code", flat=True)
        )
        if locked != set(subjects):
            raise SubjectErased("A subject was erased while the file was being ingested.")
        try:
            with transaction.atomic():
                SubjectKey.objects.bulk_create(new_keys)
        except IntegrityError:
            raise Conflict("A subject key was created concurrently; retry the ingest.") from None
        files = []
        for target, blob in zip(result.targets, staged, strict=True):
            subject = subjects[target.subject_code]
            row = GenomicFile(
                ingest_id=ingest_id,
                subject=subject,
                subject_key=keys_by_code[target.subject_code],
                assembly=assembly,
                plaintext_sha256=blob.plaintext_sha256,
                plaintext_size=blob.plaintext_size,
                ciphertext_size=blob.ciphertext_size,
                header_len=blob.header_len,
                record_count=target.records,
                variant_count=target.variants,
                source_record_count=result.records,
                source_sha256=result.source_sha256,
                created_at=now,
                created_by=user,
            )
            # Uniqueness and check constraints are enforced by the database on insert;
            # validating them here would cost a query per file.
            row.full_clean(
                exclude=["subject", "subject_key", "created_by"],
                validate_unique=False,
                validate_constraints=False,
            )
            files.append(row)
        GenomicFile.objects.bulk_create(files)
        if any(f.pk is None for f in files):
            ids = dict(GenomicFile.objects.filter(ingest_id=ingest_id).values_list("file_id", "pk"))
            for f in files:
                f.pk = f.id = ids[f.file_id]
        _insert_variants(result.index_path, files, assembly)
        new_codes = {k.subject.code for k in new_keys}
        with audit_batch():  # one ledger write for every file's event
            for f in files:
                audit_append(
                    actor=actor,
                    action=Action.GENOMIC_INGEST,
                    object_type="genomic_file",
                    object_id=str(f.file_id),
                    subject_code=f.subject.code,
                    extra={
                        "ingest": ingest_id.hex,
                        "records": f.record_count,
                        "variants": f.variant_count,
                        "assembly": assembly,
                        "new_key": f.subject.code in new_codes,
                    },
                    now=now,
                )
        for f, blob in zip(files, staged, strict=True):
            published.append(vault.publish(blob, f))
        vault.sync_dirs(published)
    return IngestSummary(
        ingest_id=str(ingest_id),
        mode=result.mode,
        assembly=assembly,
        source_sha256=result.source_sha256,
        source_records=result.records,
        samples=len(result.header.samples),
        samples_skipped=result.samples_skipped,
        files=[
            IngestedFile(
                str(f.file_id),
                f.subject.code,
                f.record_count,
                f.variant_count,
                f.plaintext_sha256,
                f.plaintext_size,
                f.ciphertext_size,
            )
            for f in files
        ],
    )


def _insert_variants(index_path: Path, files: list[GenomicFile], assembly: str) -> None:
    """Bulk-load the index rows written during the split (COPY on PostgreSQL)."""
    table = VariantCall._meta.db_table
    columns = "subject_id, genomic_file_id, assembly, chrom, pos, ref, alt, zygosity"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _copy_variants(cursor.cursor, table, columns, index_path, files, assembly)
    else:
        _sqlite_load(table, columns, index_path, files, assembly)


def _sqlite_load(table: str, columns: str, index_path: Path, files, assembly: str) -> None:
    """SQLite: the index file sent in blocks of about 1 MiB as JSON, one INSERT ... SELECT
    over ``json_each`` per block, so no Python object is made per row.

    Each row's target number is joined to its owners through a temporary table (dropped
    at the end). The page cache is raised for the load so the subject index (filled in
    random order) is not re-read from disk on every insert.
    """
    raw = connection.connection.cursor()  # the driver's own cursor, without Django's wrapper
    owner_table = "temp.helix_ingest_owner"
    raw.execute(
        f"CREATE TABLE {owner_table} "
        "(target INTEGER PRIMARY KEY, subject_id INTEGER NOT NULL, file_id INTEGER NOT NULL)"
    )
    cache = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = {_SQLITE_CACHE_KIB}")
    try:
        raw.executemany(
            f"INSERT INTO {owner_table} VALUES (?, ?, ?)",  # noqa: S608 - fixed names
            [(i, f.subject_id, f.pk) for i, f in enumerate(files)],
        )
        # CROSS JOIN keeps json_each as the outer loop: rows go in in file order.
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - fixed names
            "SELECT o.subject_id, o.file_id, ?, r.value ->> 1, CAST(r.value ->> 2 AS INTEGER), "
            "r.value ->> 3, r.value ->> 4, r.value ->> 5 "
            f"FROM json_each(?) AS r CROSS JOIN {owner_table} AS o "
            "ON o.target = CAST(r.value ->> 0 AS INTEGER)"
        )
        with index_path.open(encoding="utf-8") as handle:
            while lines := handle.readlines(1 << 20):
                raw.execute(sql, (assembly, _json_rows(lines)))
    finally:
        raw.execute(f"PRAGMA cache_size = {int(cache)}")
        raw.execute(f"DROP TABLE {owner_table}")
        raw.close()


_JSON_SPECIAL = re.compile(r'["\\\x00-\x08\x0b-\x1f]')


def _json_rows(lines: list[str]) -> str:
    """Tab-separated lines (each ending in a newline) as a JSON array of string arrays."""
    text = "".join(lines)
    if _JSON_SPECIAL.search(text) is None:  # nothing to escape: rewrite the separators
        return '[["' + text[:-1].replace("\t", '","').replace("\n", '"],["') + '"]]'
    return json.dumps([line[:-1].split("\t") for line in lines])


def _copy_variants(raw, table: str, columns: str, index_path: Path, files, assembly: str) -> None:
    """PostgreSQL: the index file rewritten as COPY text, in blocks of about 1 MiB.

    Each row's target number becomes its owners' columns; the other columns are copied
    as written. A backslash (possible only in a contig name or a symbolic ALT) is COPY's
    escape character, so it is doubled.
    """
    owners = [f"{f.subject_id}\t{f.pk}\t{assembly}\t" for f in files]
    with (
        index_path.open(encoding="utf-8") as handle,
        raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,  # noqa: S608 - fixed names
    ):
        while lines := handle.readlines(1 << 20):
            block = []
            for line in lines:
                target, rest = line.split("\t", 1)
                block.append(owners[int(target)])
                block.append(rest)
            text = "".join(block)
            copy.write(text.replace("\\", "\\\\") if "\\" in text else text)


def _audit_rejection(*, actor, exc: BaseException, ingest_id, now) -> None:
    if isinstance(exc, DomainError):
        reason = exc.code
        extra = {"ingest": ingest_id.hex, "reason": reason}
        if isinstance(exc.extra.get("line"), int):
            extra["line"] = exc.extra["line"]
        if isinstance(exc.extra.get("reason"), str):
            extra["check"] = exc.extra["reason"]
        outcome = Outcome.DENIED
    elif isinstance(exc, Exception):
        extra = {"ingest": ingest_id.hex, "reason": "internal_error"}
        outcome = Outcome.FAILED
    else:
        return  # KeyboardInterrupt and the like: nothing sensible to record
    try:
        with transaction.atomic():
            audit_append(
                actor=actor,
                action=Action.GENOMIC_INGEST_REJECTED,
                object_type="ingest",
                object_id=ingest_id.hex,
                outcome=outcome,
                extra=extra,
                now=now,
            )
    except DatabaseError:
        # Only when the caller's own transaction is already broken: the original error
        # is the one to surface, and the caller's rollback takes everything with it.
        if not connection.in_atomic_block:
            raise
