"""Running an export: claim, freeze the cohort through the gate, build, re-check, publish.

At-least-once delivery is made exactly-once in effect:

* a run first **claims** the export under its row lock (queued, or running with an
  expired lease, becomes running with ``attempt + 1``); a run that cannot claim does
  nothing, so a duplicate or late delivery is harmless;
* it builds every file in ``EXPORT_DIR/.tmp-<id>-<attempt>``;
* it **publishes** inside one transaction that re-locks the export (only the current
  attempt may publish), locks the frozen subjects' rows, asks the gate again for each
  at that instant, moves the folder to ``EXPORT_DIR/<id>`` with ``os.replace`` and
  records success; if that transaction does not commit, the folder is taken away again.

A worker killed anywhere leaves no published folder, or the complete folder of a run
whose success is (or, if it died between the rename and the commit, is about to be
found not) recorded; the next claim removes such a leftover before rebuilding.

Consent withdrawal locks the subject's row too, so it either commits before the
publishing transaction looks (and the subject is removed, the outputs rebuilt without
them, until nothing changes) or waits until the export is published. The run reads the
clock rather than a ``now`` argument: gate decisions must be fresh when the vault and
the publishing step check them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent.models import Subject
from genomics.exceptions import VaultAccessDenied
from genomics.models import FileState, GenomicFile
from genomics.vault import open_plaintext_many
from governance.access.criteria import cohort_filter
from governance.access.selectors import (
    access_grant_public_key,
    access_grant_require_active,
    cohort_subjects,
)
from governance.audit import Action, Outcome, audit_append, audit_batch
from governance.errors import DomainError
from governance.exports.criteria import needed_categories, parse_regions, subject_cohort
from governance.exports.exceptions import ExportFailed, ExportSuperseded
from governance.exports.models import CohortExport, ExportState
from governance.exports.services.folders import (
    discard,
    final_folder,
    publish,
    temp_folder,
    temp_folders,
)
from governance.exports.services.genotypes import GenotypeStore
from governance.exports.services.outputs import Built, Member, build_outputs
from governance.exports.services.state import lock_export, move
from governance.gate.decide import decide, decide_many
from governance.gate.decision import Decision

_BATCH = 50  # subjects per transaction, and between progress updates (which renew the lease)
INTERNAL_FAILURE = (
    "The export stopped on an internal error; nothing was published. Ask for it again."
)


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=int(settings.HELIX_EXPORT_DEADLINE_SECONDS))


def cohort_export_run(*, export_id: int) -> CohortExport | None:
    """Run the export if it can be claimed; return it as stored afterwards.

    Safe to call any number of times, concurrently too: only one run holds the claim,
    a finished export is left alone, and a running one is taken over only once its
    lease has expired. Failures the researcher should see (grant ended, no subjects,
    de-identification impossible within the suppression limit) end the export as
    failed with their reason; an unexpected error fails it with a generic reason and
    is re-raised for the worker's log.
    """
    claim = _claim(export_id, now=timezone.now())
    if claim is not None:
        export, attempt = claim
        workdir = temp_folder(export.pk, attempt)
        try:
            _run(export, attempt, workdir)
        except ExportSuperseded:
            pass
        except DomainError as error:
            _fail(export.pk, attempt, error.message, error.code)
        except Exception:
            _fail(export.pk, attempt, INTERNAL_FAILURE, "internal_error")
            raise
        finally:
            discard(workdir)
    return CohortExport.objects.filter(pk=export_id).first()


def _claim(export_id: int, *, now: datetime) -> tuple[CohortExport, int] | None:
    with transaction.atomic():
        export = lock_export(export_id)
        if export is None:
            return None
        if export.state == ExportState.QUEUED:
            move(export, ExportState.RUNNING)
        elif export.state != ExportState.RUNNING or (
            export.lease_expires_at is not None and export.lease_expires_at > now
        ):
            return None  # finished, cancelled, or another run holds a live lease
        export.attempt += 1
        export.lease_expires_at = _lease(now)
        export.started_at = export.started_at or now
        export.progress_done = 0
        export.progress_total = 0
        export.save(
            update_fields=[
                "state", "attempt", "lease_expires_at", "started_at", "progress_done", "progress_total",
            ]
        )  # fmt: skip
        audit_append(
            actor=export.researcher,
            action=Action.EXPORT_START,
            object_type="cohort_export",
            object_id=export.pk,
            purpose=f"grant:{export.grant_id}",
            extra={"attempt": export.attempt},
            now=now,
        )
    # Leftovers of earlier attempts: their temporary folders, and a folder published by
    # a run that died before its transaction committed. Nobody else can publish now.
    discard(final_folder(export.pk))
    for path, owner, attempt in temp_folders():
        if owner == export.pk and attempt != export.attempt:
            discard(path)
    return export, export.attempt


def _heartbeat(export_id: int, attempt: int, *, done: int, total: int) -> None:
    """Record progress and renew the lease; stop if this run no longer holds the claim."""
    now = timezone.now()
    updated = CohortExport.objects.filter(
        pk=export_id, attempt=attempt, state=ExportState.RUNNING
    ).update(progress_done=done, progress_total=total, lease_expires_at=_lease(now))
    if not updated:
        raise ExportSuperseded("This run no longer holds the export.")


def _frozen_subjects(
    export: CohortExport, grant, categories: list[str], at: datetime
) -> list[Subject]:
    subjects = cohort_subjects(
        purpose=grant.purpose, categories=categories, cohort=grant.cohort or {}, at=at
    )
    subjects = cohort_filter(subjects, subject_cohort(export.criteria), at=at)
    if "vcf" in export.formats:
        subjects = subjects.filter(genomic_files__state=FileState.STORED)
    return list(
        subjects.filter(erased_at__isnull=True)
        .distinct()
        .prefetch_related("diagnoses")
        .order_by("pk")
    )


def _audit_removed(
    *, export: CohortExport, subject_code: str, stage: str, reasons: list[str]
) -> None:
    audit_append(
        actor=export.researcher,
        action=Action.EXPORT_SUBJECT_REMOVED,
        object_type="cohort_export",
        object_id=export.pk,
        subject_code=subject_code,
        purpose=f"grant:{export.grant_id}",
        outcome=Outcome.DENIED,
        extra={"stage": stage, "reasons": reasons[:10]},
    )


def _read_batch(
    *, export: CohortExport, subjects: list[Subject], decisions: dict[int, dict[str, Decision]],
    store: GenotypeStore | None, files: dict[int, GenomicFile],
) -> tuple[list[Member], int]:  # fmt: skip
    """Read the data of ``subjects`` with the gate's decisions for each category.

    Returns the members kept and how many were removed: a subject is removed (and the
    removal audited) if the gate denied any category or the vault refused the read.
    """
    refused = {
        s.pk: [r.code for d in decisions[s.pk].values() if not d.allowed for r in d.reasons]
        for s in subjects
    }
    if store is not None:
        reads = []
        for subject in subjects:
            if refused[subject.pk]:
                continue
            if subject.pk not in files:
                refused[subject.pk] = ["vault.file_erased"]
                continue
            reads.append((files[subject.pk], decisions[subject.pk]["genomic"]))
        for genomic_file, opened in open_plaintext_many(reads, actor=export.researcher):
            if isinstance(opened, VaultAccessDenied):  # e.g. the file was erased a moment ago
                refused[genomic_file.subject_id] = [f"vault.{opened.code}"]
            else:
                store.add(genomic_file.subject_id, opened)
    members = []
    for subject in subjects:
        if refused[subject.pk]:
            _audit_removed(
                export=export, subject_code=subject.code, stage="freeze", reasons=refused[subject.pk]
            )
            continue
        mine = decisions[subject.pk].values()
        members.append(
            Member(
                subject_id=subject.pk,
                code=subject.code,
                consent_version_id=next(iter(mine)).consent_version_id,
                valid_until=min(d.valid_until for d in mine),
                birth_date=subject.birth_date,
                sex=subject.sex,
                postcode=subject.postcode,
                ethnic_background=subject.ethnic_background,
                diagnoses=tuple(sorted(d.term for d in subject.diagnoses.all())),
            )
        )
    return members, len(subjects) - len(members)


def _run(export: CohortExport, attempt: int, workdir: Path) -> None:
    grant = access_grant_require_active(grant=export.grant, at=timezone.now())
    categories = needed_categories(columns=export.columns, formats=export.formats)
    wants_vcf = "vcf" in export.formats
    recipient = access_grant_public_key(grant=grant) if wants_vcf else None
    fingerprint = hashlib.sha256(recipient).hexdigest() if recipient else ""

    subjects = _frozen_subjects(export, grant, categories, timezone.now())
    total = len(subjects)
    _heartbeat(export.pk, attempt, done=0, total=total)
    files: dict[int, GenomicFile] = {}
    if wants_vcf:
        for genomic_file in GenomicFile.objects.filter(
            subject__in=[s.pk for s in subjects], state=FileState.STORED
        ).order_by("created_at", "id"):
            files[genomic_file.subject_id] = genomic_file  # the latest file wins
    store = (
        GenotypeStore(regions=parse_regions(export.criteria.get("regions"))) if wants_vcf else None
    )

    members: list[Member] = []
    removed = 0
    # Each batch of subjects is one transaction: the decisions and vault reads are
    # audited as always, and their events are written to the ledger together.
    for first in range(0, total, _BATCH):
        with audit_batch():
            batch = subjects[first : first + _BATCH]
            decisions = decide_many(
                subjects=batch, purpose=grant.purpose, purpose_id=grant.purpose_id,
                categories=categories, actor=export.researcher,
            )  # fmt: skip
            kept, dropped = _read_batch(
                export=export, subjects=batch, decisions=decisions, store=store, files=files
            )
            members += kept
            removed += dropped
        _heartbeat(export.pk, attempt, done=min(first + _BATCH, total), total=total)

    while True:
        if not members:
            raise ExportFailed(
                "No subject in the cohort may be used for this purpose now; nothing was exported."
            )
        discard(workdir)
        built = build_outputs(
            workdir=workdir, export=export, grant=grant, members=members, genotypes=store,
            recipient=recipient, recipient_fingerprint=fingerprint, frozen=total,
            removed=removed, at=timezone.now(),
        )  # fmt: skip
        outcome = _publish(
            export=export, attempt=attempt, grant=grant, categories=categories,
            workdir=workdir, built=built, fingerprint=fingerprint,
        )  # fmt: skip
        if outcome.published:
            return
        members = [
            replace(
                m,
                consent_version_id=outcome.changed[m.subject_id][0],
                valid_until=outcome.changed[m.subject_id][1],
            )
            if m.subject_id in outcome.changed
            else m
            for m in members
            if m.subject_id not in outcome.removed
        ]
        removed += len(outcome.removed)


@dataclass(frozen=True)
class _Outcome:
    published: bool
    removed: frozenset[int] = frozenset()
    changed: dict | None = None


def _publish(
    *, export: CohortExport, attempt: int, grant, categories: list[str], workdir: Path,
    built: Built, fingerprint: str,
) -> _Outcome:  # fmt: skip
    published: Path | None = None
    try:
        with transaction.atomic():
            locked = lock_export(export.pk)
            if locked is None or locked.state != ExportState.RUNNING or locked.attempt != attempt:
                raise ExportSuperseded("This run no longer holds the export.")
            access_grant_require_active(grant=grant, at=timezone.now())
            versions = {m.subject_id: m.consent_version_id for m in built.released}
            # Withdrawal takes the same row locks: it has committed (and is seen below) or
            # it waits until this transaction ends. On SQLite the transaction already
            # holds the database write lock. The gate is asked again for every subject
            # whose consent or erasure state moved since the run's decisions, or whose
            # decisions have expired.
            subjects = list(
                Subject.objects.select_for_update().filter(pk__in=list(versions)).order_by("pk")
            )
            at = timezone.now()
            removed: set[int] = set(versions) - {s.pk for s in subjects}
            changed: dict[int, tuple[int, datetime]] = {}
            until = {m.subject_id: m.valid_until for m in built.released}
            for subject in subjects:
                if (
                    subject.current_consent_id == versions[subject.pk]
                    and subject.erased_at is None
                    and at < until[subject.pk]
                ):
                    # Nothing the gate reads has moved: the same consent version is in
                    # force (any new version moves this pointer under the lock we hold)
                    # and the run's decisions, whose validity already ends at the
                    # consent's period and time limits, still hold at this instant.
                    continue
                for category in categories:
                    decision = decide(
                        subject=subject, purpose=grant.purpose, purpose_id=grant.purpose_id,
                        category=category, at=at, audit=False,
                    )  # fmt: skip
                    if not decision.allowed:
                        removed.add(subject.pk)
                        _audit_removed(
                            export=export, subject_code=subject.code, stage="publish",
                            reasons=[r.code for r in decision.reasons],
                        )  # fmt: skip
                        break
                    if decision.consent_version_id != versions[subject.pk]:
                        earlier = changed.get(subject.pk, (None, decision.valid_until))[1]
                        changed[subject.pk] = (
                            decision.consent_version_id,
                            min(earlier, decision.valid_until),
                        )
            if removed or changed:
                return _Outcome(published=False, removed=frozenset(removed), changed=changed)

            published = publish(workdir, export.pk)
            now = timezone.now()
            move(locked, ExportState.SUCCEEDED)
            locked.finished_at = now
            locked.lease_expires_at = None
            locked.progress_done = locked.progress_total
            locked.output_dir = str(published)
            locked.manifest_sha256 = built.manifest_sha256
            locked.subject_count = len(built.released)
            locked.k_achieved = built.k_achieved
            locked.report = built.report
            locked.files = built.files
            locked.failure_reason = ""
            locked.save(
                update_fields=[
                    "state", "finished_at", "lease_expires_at", "progress_done", "output_dir",
                    "manifest_sha256", "subject_count", "k_achieved", "report", "files",
                    "failure_reason",
                ]
            )  # fmt: skip
            with audit_batch():
                _audit_published(export, attempt, built, fingerprint, grant.purpose_id, now)
    except BaseException:
        if published is not None:
            discard(published)
        raise
    return _Outcome(published=True)


def _audit_published(
    export: CohortExport, attempt: int, built: Built, fingerprint: str, purpose_id: str,
    now: datetime,
) -> None:  # fmt: skip
    audit_append(
        actor=export.researcher,
        action=Action.EXPORT_COMPLETE,
        object_type="cohort_export",
        object_id=export.pk,
        purpose=purpose_id,
        extra={
            "attempt": attempt,
            "subjects": len(built.released),
            "k": built.k_achieved,
            "manifest_sha256": built.manifest_sha256,
        },
        now=now,
    )
    for member in built.released:
        audit_append(
            actor=export.researcher,
            action=Action.EXPORT_SUBJECT_INCLUDED,
            object_type="cohort_export",
            object_id=export.pk,
            subject_code=member.code,
            purpose=purpose_id,
            extra={
                "consent_version_id": member.consent_version_id,
                "researcher_key": fingerprint[:16],
            },
            now=now,
        )


def _fail(export_id: int, attempt: int, reason: str, code: str) -> None:
    with transaction.atomic():
        locked = lock_export(export_id)
        if locked is None or locked.state != ExportState.RUNNING or locked.attempt != attempt:
            return
        now = timezone.now()
        move(locked, ExportState.FAILED)
        locked.failure_reason = reason[:2000]
        locked.finished_at = now
        locked.lease_expires_at = None
        locked.save(update_fields=["state", "failure_reason", "finished_at", "lease_expires_at"])
        audit_append(
            actor=locked.researcher,
            action=Action.EXPORT_FAIL,
            object_type="cohort_export",
            object_id=locked.pk,
            purpose=f"grant:{locked.grant_id}",
            outcome=Outcome.FAILED,
            extra={"attempt": attempt, "code": str(code)[:64]},
            now=now,
        )
