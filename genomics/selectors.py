"""Reads of the genomic vault, including the permission mediators.

* ``genomic_file_get_for_user`` / ``genomic_file_list_for_user``: file metadata, for data
  stewards only; everyone else gets the same ``NotFound`` as for a missing file.
* ``variant_query``: the variant index is personal data, so it is read only under gate
  decisions, one per subject, each audited like a file read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from consent.models import Subject
from genomics.exceptions import VaultAccessDenied
from genomics.ingest.records import normalise_chrom
from genomics.models import GenomicFile, SubjectKey, VariantCall
from genomics.vault import GENOMIC, REFUSAL_MESSAGES, audit_gated_access
from governance import keys
from governance.audit import Action
from governance.errors import NotFound, ValidationFailed
from governance.gate.decision import Decision
from governance.roles import Role, has_role

GENE_REGIONS_FILE = Path(__file__).resolve().parent / "data" / "gene_regions.tsv"


# --- files ----------------------------------------------------------------------------


def genomic_file_get_for_user(*, user, file_id: str | uuid.UUID) -> GenomicFile:
    """One file's metadata for a data steward; ``NotFound`` alike for missing and forbidden."""
    try:
        wanted = uuid.UUID(str(file_id))
    except ValueError:
        raise NotFound() from None
    if not has_role(user, Role.DATA_STEWARD):
        raise NotFound()
    found = GenomicFile.objects.select_related("subject").filter(file_id=wanted).first()
    if found is None:
        raise NotFound()
    return found


def genomic_file_list_for_user(*, user, subject_code: str | None = None) -> QuerySet[GenomicFile]:
    """Files (newest first) for a data steward, optionally of one subject."""
    if not has_role(user, Role.DATA_STEWARD):
        raise NotFound()
    files = GenomicFile.objects.select_related("subject").order_by("-created_at", "id")
    if subject_code:
        files = files.filter(subject__code=subject_code)
    return files


def subjects_with_files_for_user(*, user) -> QuerySet[Subject]:
    """Subjects with a file count, for the steward's overview."""
    if not has_role(user, Role.DATA_STEWARD):
        raise NotFound()
    return (
        Subject.objects.annotate(
            files=Count("genomic_files", filter=Q(genomic_files__state="stored")),
        )
        .filter(files__gt=0)
        .order_by("code")
    )


# --- keys -----------------------------------------------------------------------------


def master_key_usage() -> dict[int, dict[str, int]]:
    """For every master key version known or in use: how many subject and data keys it wraps."""
    from governance.models import KeyMaterial

    usage = {v: {"subject_keys": 0, "key_material": 0} for v in keys.master_key_versions()}
    for row in (
        SubjectKey.objects.filter(destroyed_at__isnull=True)
        .values("master_version")
        .annotate(n=Count("id"))
        .order_by()
    ):
        usage.setdefault(row["master_version"], {"subject_keys": 0, "key_material": 0})[
            "subject_keys"
        ] = row["n"]
    for wrapped in KeyMaterial.objects.values_list("wrapped", flat=True):
        version = keys.wrapped_version(bytes(wrapped))
        usage.setdefault(version, {"subject_keys": 0, "key_material": 0})["key_material"] += 1
    return dict(sorted(usage.items()))


# --- the variant index ----------------------------------------------------------------


@dataclass(frozen=True)
class GeneRegion:
    assembly: str
    chrom: str
    start: int
    end: int
    gene: str


@cache
def gene_regions() -> dict[tuple[str, str], GeneRegion]:
    """The shipped gene spans, by (assembly, gene symbol)."""
    regions = {}
    for line in GENE_REGIONS_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        assembly, chrom, start, end, gene = line.split("\t")
        regions[(assembly, gene.upper())] = GeneRegion(assembly, chrom, int(start), int(end), gene)
    return regions


@dataclass(frozen=True)
class VariantHit:
    subject_code: str
    assembly: str
    chrom: str
    pos: int
    ref: str
    alt: str
    zygosity: str


def variant_query(
    *,
    decisions: Iterable[Decision],
    actor,
    assembly: str,
    chrom: str | None = None,
    start: int | None = None,
    end: int | None = None,
    gene: str | None = None,
    ref: str | None = None,
    alt: str | None = None,
) -> list[VariantHit]:
    """Non-reference calls of the decided subjects at a position, in a range or in a gene.

    Give ``chrom`` and ``start`` (and ``end`` for a range; ``start`` alone is one
    position), or ``gene`` (a symbol from the shipped gene table). Every decision must
    allow genomic use of its subject now; each is audited as ``genomic.variant_query``,
    and if any is refused the query returns nothing and raises ``VaultAccessDenied``.
    """
    now = timezone.now()  # validity is judged against the clock, never a caller's time
    decisions = list(decisions)
    if not decisions:
        raise ValidationFailed("decisions: at least one gate decision is required.")
    region = _region(assembly=assembly, chrom=chrom, start=start, end=end, gene=gene)
    codes = dict(
        Subject.objects.filter(
            pk__in=[getattr(d, "subject_id", None) for d in decisions]
        ).values_list("pk", "code")
    )
    refused = []
    for decision in decisions:
        refusal = _decision_refusal(decision, now)
        subject_id = getattr(decision, "subject_id", None)
        if refusal is None and subject_id not in codes:
            refusal = "wrong_subject"
        audit_gated_access(
            actor=actor,
            action=Action.VARIANT_QUERY,
            object_type="variant_index",
            object_id=f"{region[0]}:{region[1]}:{region[2]}-{region[3]}",
            subject_code=codes.get(subject_id, ""),
            decision=decision,
            refusal=refusal,
            now=now,
        )
        if refusal:
            refused.append(refusal)
    if refused:
        raise VaultAccessDenied(
            REFUSAL_MESSAGES[refused[0]], code=refused[0], extra={"refused": len(refused)}
        )
    query_assembly, query_chrom, query_start, query_end = region
    calls = VariantCall.objects.filter(
        subject_id__in=list(codes),
        assembly=query_assembly,
        chrom=query_chrom,
        pos__gte=query_start,
        pos__lte=query_end,
        genomic_file__state="stored",
    )
    if ref:
        calls = calls.filter(ref=ref.upper())
    if alt:
        calls = calls.filter(alt=alt.upper())
    return [
        VariantHit(codes[c.subject_id], c.assembly, c.chrom, c.pos, c.ref, c.alt, c.zygosity)
        for c in calls.order_by("pos", "subject_id", "alt")
    ]


def _decision_refusal(decision, now: datetime) -> str | None:
    if not isinstance(decision, Decision):
        return "not_a_decision"
    if not decision.allowed:
        return "decision_denied"
    if decision.category != GENOMIC:
        return "wrong_category"
    if not decision.decided_at <= now < decision.valid_until:
        return "decision_expired"
    return None


def _region(
    *, assembly: str, chrom: str | None, start: int | None, end: int | None, gene: str | None
) -> tuple[str, str, int, int]:
    if gene:
        found = gene_regions().get((assembly, gene.upper()))
        if found is None:
            raise ValidationFailed(
                f"gene: {gene} is not in the gene table for {assembly}; query by range instead."
            )
        return assembly, found.chrom, found.start, found.end
    if not chrom or start is None:
        raise ValidationFailed("Give chrom and start (and end for a range), or a gene.")
    end = start if end is None else end
    if start < 1 or end < start:
        raise ValidationFailed("start must be at least 1 and end at least start.")
    return assembly, normalise_chrom(chrom), start, end
