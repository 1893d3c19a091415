"""Record checks: htslib parses each line; these catch what it lets pass.

htslib (through cyvcf2's ``variant_from_string``) is the parser of record. It accepts an
undeclared contig, INFO or FORMAT key with a warning, a genotype allele index beyond
the ALT list, mixed ploidy and unsorted input; each of those is refused here, naming
the line and, for genotypes, the sample column (by number, not by name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from genomics.exceptions import VcfInvalid
from genomics.ingest.header import VcfHeader

_REF = re.compile(r"^[ACGTNacgtn]+$")
_ALT = re.compile(r"^(?:[ACGTNacgtn]+|<[^<>,\s]+>|\*)$")
_INFO_KEYS = re.compile(r"(?:^|;)([^=;]+)")
_POS = re.compile(r"^[0-9]{1,15}$")
# Sex chromosomes legitimately mix haploid and diploid calls within one sample (males
# outside the pseudoautosomal regions), so ploidy is not compared there.
_MIXED_PLOIDY_CONTIGS = frozenset({"X", "Y"})
# Up to this many samples, genotypes are read from the GT text with a cache (few distinct
# strings); beyond it, from htslib's genotype array with vectorised checks.
SMALL_SAMPLE_COUNT = 16
_GT_SPLIT = re.compile(r"[|/]")
_GT_CACHE: dict[str, tuple[int, ...] | None] = {}


def parse_gt(text: str) -> tuple[int, ...] | None:
    """``"0|1"`` -> ``(0, 1)``; missing alleles are -1. ``None`` if not a genotype."""
    cached = _GT_CACHE.get(text, False)
    if cached is not False:
        return cached
    try:
        value = tuple(-1 if a == "." else int(a) for a in _GT_SPLIT.split(text))
        if any(a < -1 for a in value):
            value = None
    except ValueError:
        value = None
    if len(_GT_CACHE) < 4096:
        _GT_CACHE[text] = value
    return value


def normalise_chrom(name: str) -> str:
    """``chr1`` and ``1`` name the same chromosome; ``chrM``/``M`` become ``MT``."""
    bare = name[3:] if name[:3].lower() == "chr" else name
    return "MT" if bare in ("M", "m") else bare


@dataclass
class Parsed:
    fields: list[str]
    chrom: str
    pos: int
    ref: str
    alts: list[str]
    alleles: np.ndarray | None  # (samples, ploidy) allele indices; -1 missing, -2 absent
    genotypes: list[tuple[int, ...]] | None = None  # the same, for small sample counts
    ploidy: np.ndarray | None = None  # per sample, with ``alleles``
    hom_ref: np.ndarray | None = None  # per sample: every called allele is REF


class RecordChecker:
    def __init__(self, header: VcfHeader):
        self.header = header
        self.parser = header.parser
        self.columns = header.expected_columns
        self.declared_contigs = header.contigs
        self._contig: str | None = None
        self._seen_contigs: set[str] = set()
        self._last_pos = 0
        self._ploidy = np.full(len(header.samples), -1, dtype=np.int64)
        self._small = len(header.samples) <= SMALL_SAMPLE_COUNT
        self._small_ploidy: list[int] = [-1] * len(header.samples)
        self._check_ploidy = True
        self.records = 0

    def check(self, number: int, text: str) -> Parsed:
        fields = text.split("\t")
        if len(fields) != self.columns:
            raise VcfInvalid(
                number,
                "column_count",
                f"expected {self.columns} tab-separated columns, found {len(fields)}.",
            )
        chrom, pos_text, _id, ref, alt_text, _qual, filters, info = fields[:8]
        if not chrom:
            raise VcfInvalid(number, "chrom", "CHROM is empty.")
        if not _POS.match(pos_text) or int(pos_text) == 0:
            raise VcfInvalid(number, "pos", "POS must be a positive whole number.")
        pos = int(pos_text)
        self._check_order(number, chrom, pos)
        if not _REF.match(ref):
            raise VcfInvalid(number, "ref", "REF may contain only A, C, G, T and N.")
        alts = [] if alt_text == "." else alt_text.split(",")
        for alt in alts:
            if not _ALT.match(alt):
                raise VcfInvalid(
                    number,
                    "alt",
                    "ALT alleles may contain only A, C, G, T and N, a symbolic <ID> or *.",
                )
        self._check_declared(number, filters, info, fields[8] if len(fields) > 8 else None)
        try:
            variant = self.parser.variant_from_string(text)
        except Exception:  # cyvcf2 raises a bare Exception carrying the line: never show it
            raise VcfInvalid(
                number, "parse", "the VCF parser (htslib) rejected this record."
            ) from None
        alleles = genotypes = None
        if len(fields) > 8 and fields[8][:2] == "GT" and fields[8][2:3] in ("", ":"):
            if self._small:
                genotypes = self._small_genotypes(number, fields, len(alts))
            else:
                alleles = variant.genotype.array()[:, :-1]
                ploidy, hom_ref = self._check_genotypes(number, alleles, len(alts))
                self.records += 1
                return Parsed(fields, chrom, pos, ref, alts, alleles, None, ploidy, hom_ref)
        self.records += 1
        return Parsed(fields, chrom, pos, ref, alts, alleles, genotypes)

    def _small_genotypes(
        self, number: int, fields: list[str], n_alts: int
    ) -> list[tuple[int, ...]]:
        genotypes = []
        ploidy = self._small_ploidy
        for column, value in enumerate(fields[9:]):
            gt = parse_gt(value.split(":", 1)[0])
            if gt is None:
                raise VcfInvalid(
                    number,
                    "genotype",
                    f"sample column {column + 1}: the GT value is not a genotype.",
                )
            if max(gt) > n_alts:
                raise VcfInvalid(
                    number,
                    "genotype",
                    f"sample column {column + 1}: a genotype names allele {max(gt)}, "
                    f"but the record has {n_alts} ALT allele(s).",
                )
            if self._check_ploidy and max(gt) >= 0:
                if ploidy[column] < 0:
                    ploidy[column] = len(gt)
                elif ploidy[column] != len(gt):
                    raise VcfInvalid(
                        number,
                        "ploidy",
                        f"sample column {column + 1}: genotype ploidy {len(gt)} differs from ploidy "
                        f"{ploidy[column]} earlier on this contig.",
                    )
            genotypes.append(gt)
        return genotypes

    def _check_order(self, number: int, chrom: str, pos: int) -> None:
        if chrom != self._contig:
            if chrom in self._seen_contigs:
                raise VcfInvalid(
                    number,
                    "unsorted",
                    f"contig {chrom} appears again after other contigs (the file is not sorted).",
                )
            if self.declared_contigs and chrom not in self.declared_contigs:
                raise VcfInvalid(
                    number, "contig", f"contig {chrom} is not declared in a ##contig header line."
                )
            self._seen_contigs.add(chrom)
            self._contig, self._last_pos = chrom, 0
            self._ploidy.fill(-1)
            self._small_ploidy = [-1] * len(self._small_ploidy)
            self._check_ploidy = normalise_chrom(chrom) not in _MIXED_PLOIDY_CONTIGS
        if pos < self._last_pos:
            raise VcfInvalid(
                number,
                "unsorted",
                f"position {pos} comes after position {self._last_pos} on contig {chrom} (the file is not sorted).",
            )
        length = self.declared_contigs.get(chrom) if self.declared_contigs else None
        if length is not None and pos > length:
            raise VcfInvalid(
                number,
                "pos",
                f"position {pos} is beyond the declared length {length} of contig {chrom}.",
            )
        self._last_pos = pos

    def _check_declared(self, number: int, filters: str, info: str, fmt: str | None) -> None:
        header = self.header
        if filters not in ("PASS", "."):
            for name in filters.split(";"):
                if name not in header.filter_ids:
                    raise VcfInvalid(
                        number,
                        "filter",
                        f"FILTER {name} is not declared in a ##FILTER header line.",
                    )
        if info != ".":
            undeclared = set(_INFO_KEYS.findall(info)) - header.info_ids
            if undeclared:
                raise VcfInvalid(
                    number,
                    "info",
                    f"INFO key {min(undeclared)} is not declared in a ##INFO header line.",
                )
        if fmt is not None:
            keys = fmt.split(":")
            undeclared = set(keys) - header.format_ids
            if undeclared:
                raise VcfInvalid(
                    number,
                    "format",
                    f"FORMAT key {min(undeclared)} is not declared in a ##FORMAT header line.",
                )
            if "GT" in keys and keys[0] != "GT":
                raise VcfInvalid(number, "format", "GT must be the first FORMAT key.")

    def _check_genotypes(
        self, number: int, alleles: np.ndarray, n_alts: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Check allele indices and ploidy; return (ploidy, homozygous-reference) per sample.

        Works column by column (one 1-D array per allele slot): cheaper than reductions
        along an axis when there are thousands of samples and two slots.
        """
        slots = [alleles[:, i] for i in range(alleles.shape[1])]
        top = max(int(slot.max()) for slot in slots) if alleles.size else -1
        if top > n_alts:
            column = int(np.flatnonzero((alleles > n_alts).any(axis=1))[0]) + 1
            raise VcfInvalid(
                number,
                "genotype",
                f"sample column {column}: a genotype names allele {top}, "
                f"but the record has {n_alts} ALT allele(s).",
            )
        first = slots[0]
        ploidy = np.ones(len(first), dtype=np.int64)
        hom_ref = first == 0
        for slot in slots[1:]:
            present = slot != -2
            ploidy += present
            hom_ref &= (slot == 0) | ~present
        if self._check_ploidy:
            called = first >= 0
            for slot in slots[1:]:
                called |= slot >= 0
            known = self._ploidy >= 0
            bad = known & called & (ploidy != self._ploidy)
            if bad.any():
                column = int(np.flatnonzero(bad)[0])
                raise VcfInvalid(
                    number,
                    "ploidy",
                    f"sample column {column + 1}: genotype ploidy {int(ploidy[column])} differs from ploidy "
                    f"{int(self._ploidy[column])} earlier on this contig.",
                )
            fresh = ~known & called
            if fresh.any():
                self._ploidy[fresh] = ploidy[fresh]
        return ploidy, hom_ref
