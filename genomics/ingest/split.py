"""One pass over a VCF: validate every line, split it per subject, collect the index.

Each mapped sample becomes a *target*: one subject's VCF, whose only sample column is
named by the subject's public code. Output is buffered in memory up to a fixed budget
and then appended to one plaintext work file per target, so memory stays flat however
long the input is and the input is read exactly once, whatever the number of samples.
The work files live in a private folder that the caller removes on every path.

What a target keeps:

* a single-sample file is stored record for record;
* a multi-sample file is split like ``bcftools view -c1 -s SAMPLE``: each subject gets
  the records where their genotype is not homozygous reference (missing calls are kept),
  so an absent site means "reference" rather than being copied 2,504 times.

Header lines naming samples (``##SAMPLE``, ``##PEDIGREE``, or any line mentioning a
sample ID, such as a ``bcftools`` command line) are dropped, except that a mention of
the target's own sample is rewritten to its subject code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from genomics.exceptions import SampleMapInvalid, VcfInvalid
from genomics.ingest.header import SAMPLE_META_KEYS, HeaderReader, VcfHeader, header_end_error
from genomics.ingest.records import RecordChecker, normalise_chrom
from genomics.ingest.source import LineSource
from genomics.ingest.spill import Segments, Spills

_BUFFER_BUDGET = 32 << 20  # plaintext bytes held before spilling to the work files
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_WORD = r"A-Za-z0-9_\-"
_ZYGOSITY = ("het", "hom_alt", "hemi")
SPLIT_NOTE = "##helix_split=records where this subject's genotype is not homozygous reference"


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_decompressed: int
    max_line: int


@dataclass
class Target:
    index: int
    column: int
    subject_code: str
    header: bytes
    records: int = 0
    variants: int = 0
    buffered: list[str] = field(default_factory=list)
    segments: list[tuple[int, int, int]] = field(default_factory=list)  # (spill, offset, length)

    def open_plaintext(self, spills: Spills) -> BinaryIO:
        """The target's VCF: its header, its spilled segments, then what is still buffered."""
        tail = "".join(self.buffered).encode()
        return Segments(self.header, spills, self.segments, tail)


@dataclass
class SplitResult:
    header: VcfHeader
    targets: list[Target]
    mode: str  # "whole" (single-sample) or "split"
    records: int
    samples_skipped: int
    source_sha256: str
    compressed_bytes: int
    decompressed_bytes: int
    index_path: Path
    spills: Spills


def split_vcf(
    stream: BinaryIO,
    *,
    workdir: Path,
    limits: Limits,
    subject_code: str | None = None,
    sample_map: dict[str, str] | None = None,
) -> SplitResult:
    """Validate ``stream`` and split it into per-subject plaintext work files under ``workdir``.

    Exactly one of ``subject_code`` (the file must have one sample) or ``sample_map``
    (sample ID to subject code; samples not in the map are skipped and counted) is given.
    Raises ``VcfInvalid`` naming the first bad line.
    """
    source = LineSource(
        stream,
        max_bytes=limits.max_bytes,
        max_decompressed=limits.max_decompressed,
        max_line=limits.max_line,
    )
    lines = source.lines()
    header = _read_header(lines)
    targets, skipped = _targets(header, workdir, subject_code=subject_code, sample_map=sample_map)
    mode = "whole" if len(header.samples) == 1 else "split"
    checker = RecordChecker(header)
    index_path = workdir / "index.tsv"
    spills = Spills(workdir)
    splitter = _Splitter(targets, len(header.samples), mode, spills)
    with index_path.open("w", encoding="utf-8", newline="\n") as index:
        for number, raw in lines:
            text = _decode(number, raw)
            if not text:
                raise VcfInvalid(number, "blank_line", "blank line among the records.")
            if text[0] == "#":
                raise VcfInvalid(number, "header", "a header line appears after the #CHROM line.")
            parsed = checker.check(number, text)
            splitter.add(parsed, index)
    splitter.count()
    if checker.records == 0:
        raise VcfInvalid(
            header.line_count + 1, "no_records", "the file has a header but no records."
        )
    return SplitResult(
        header=header,
        targets=targets,
        mode=mode,
        records=checker.records,
        samples_skipped=skipped,
        source_sha256=source.source_sha256,
        compressed_bytes=source.compressed_bytes,
        decompressed_bytes=source.decompressed_bytes,
        index_path=index_path,
        spills=spills,
    )


def _decode(number: int, raw: bytes) -> str:
    if b"\r" in raw:
        raise VcfInvalid(number, "crlf", "carriage return found: lines must end with LF, not CRLF.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VcfInvalid(
            number, "encoding", f"invalid UTF-8 at byte {exc.start + 1} of the line."
        ) from None


def _read_header(lines) -> VcfHeader:
    reader = HeaderReader()
    last = 0
    for number, raw in lines:
        last = number
        header = reader.add(number, _decode(number, raw))
        if header is not None:
            return header
    raise header_end_error(last)


def _targets(
    header: VcfHeader, workdir: Path, *, subject_code: str | None, sample_map: dict[str, str] | None
) -> tuple[list[Target], int]:
    samples = header.samples
    if subject_code is not None:
        if len(samples) != 1:
            raise SampleMapInvalid(
                f"The file has {len(samples)} samples: give a sample map to split it between subjects.",
                extra={"samples": len(samples)},
            )
        chosen = [(0, subject_code)]
    else:
        position = {name: i for i, name in enumerate(samples)}
        missing = [name for name in sample_map if name not in position]
        if missing:
            raise SampleMapInvalid(
                f"The sample map names {len(missing)} sample(s) that are not in the file, first {missing[0]!r}.",
                extra={"missing": len(missing)},
            )
        chosen = sorted((position[name], code) for name, code in sample_map.items())
    meta = _scrub_plan(header)
    note = [SPLIT_NOTE] if len(samples) > 1 else []
    common = "".join(f"{line}\n" for line, mentions in meta if not mentions) + "".join(
        f"{n}\n" for n in note
    )
    fixed = "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
    targets = []
    mentioned = any(mentions for _, mentions in meta)
    for index, (column, code) in enumerate(chosen):
        own = samples[column]
        text = common
        if mentioned:
            lines = []
            for line, mentions in meta:
                if not mentions:
                    lines.append(line)
                elif mentions == {own}:
                    lines.append(_rename(line, own, code))
            text = "".join(f"{line}\n" for line in lines + note)
        targets.append(Target(index, column, code, f"{text}{fixed}\t{code}\n".encode()))
    return targets, len(samples) - len(chosen)


def _rename(line: str, own: str, code: str) -> str:
    if _TOKEN.fullmatch(own):
        return re.sub(rf"(?<![{_WORD}]){re.escape(own)}(?![{_WORD}])", code, line)
    return line.replace(own, code)


def _scrub_plan(header: VcfHeader) -> list[tuple[str, set[str]]]:
    """Each meta line with the sample names it mentions; sample-describing lines dropped."""
    names = set(header.samples)
    odd = [n for n in names if _TOKEN.fullmatch(n) is None]  # names the tokenizer would split
    plan = []
    for line in header.meta_lines:
        key = line[2:].split("=", 1)[0]
        if key in SAMPLE_META_KEYS:
            continue
        mentions = set(_TOKEN.findall(line)) & names
        mentions.update(n for n in odd if n in line)
        plan.append((line, mentions))
    return plan


class _Splitter:
    def __init__(self, targets: list[Target], n_samples: int, mode: str, spills: Spills):
        self.targets = targets
        self.spills = spills
        self.mode = mode
        self.by_column = np.full(n_samples, -1, dtype=np.int64)
        for target in targets:
            self.by_column[target.column] = target.index
        self.mapped = self.by_column >= 0
        self.columns = np.array([t.column for t in targets], dtype=np.int64)
        self.all_mapped = len(targets) == n_samples  # targets are in column order then
        self.buffered_bytes = 0
        self.buffers = [t.buffered for t in targets]
        # Per target, counted with array operations and copied to the targets at the end.
        self.records = np.zeros(len(targets), dtype=np.int64)
        self.variants = np.zeros(len(targets), dtype=np.int64)

    def count(self) -> None:
        for target, records, variants in zip(
            self.targets, self.records.tolist(), self.variants.tolist(), strict=True
        ):
            target.records, target.variants = records, variants

    def add(self, parsed, index) -> None:
        fields, alleles = parsed.fields, parsed.alleles
        prefix = "\t".join(fields[:9]) + "\t"
        if self.mode == "whole" or (alleles is None and parsed.genotypes is None):
            keep = self.columns
        elif parsed.genotypes is not None:
            genotypes = parsed.genotypes
            keep = np.array(
                [c for c in self.columns.tolist() if any(a != 0 for a in genotypes[c])],
                dtype=np.int64,
            )
        elif self.all_mapped:
            keep = np.flatnonzero(~parsed.hom_ref)
        else:
            keep = np.flatnonzero(self.mapped & ~parsed.hom_ref)
        owners = keep if self.all_mapped else self.by_column[keep]
        self.records[owners] += 1  # each target at most once per record
        lines = [prefix + fields[9 + column] + "\n" for column in keep.tolist()]
        buffers = self.buffers
        for owner, line in zip(owners.tolist(), lines, strict=True):
            buffers[owner].append(line)
        self.buffered_bytes += sum(map(len, lines))
        if parsed.genotypes is not None and parsed.alts:
            self._index_small(parsed, index)
        elif alleles is not None and parsed.alts:
            self._index(parsed, alleles, index)
        if self.buffered_bytes > _BUFFER_BUDGET:
            self.flush()

    def _index(self, parsed, alleles: np.ndarray, index) -> None:
        chrom = normalise_chrom(parsed.chrom)
        slots = [alleles[:, i] for i in range(alleles.shape[1])]
        ploidy = parsed.ploidy
        rows = []
        for alt_number, alt in enumerate(parsed.alts, start=1):
            if alt == "*":
                continue  # a spanning deletion is indexed at the deletion's own record
            count = slots[0] == alt_number
            if len(slots) > 1:
                count = count.astype(np.int64)
                for slot in slots[1:]:
                    count += slot == alt_number
            carriers = np.flatnonzero(count)
            if not self.all_mapped:
                carriers = carriers[self.mapped[carriers]]
            if not carriers.size:
                continue
            carrier_ploidy = ploidy[carriers]
            zyg = np.where(
                carrier_ploidy == 1, 2, np.where(count[carriers] == carrier_ploidy, 1, 0)
            )
            owners = carriers if self.all_mapped else self.by_column[carriers]
            middle = f"\t{chrom}\t{parsed.pos}\t{parsed.ref}\t{alt}\t"
            rows.extend(
                f"{t}{middle}{_ZYGOSITY[z]}\n"
                for t, z in zip(owners.tolist(), zyg.tolist(), strict=True)
            )
            self.variants[owners] += 1  # owners are distinct for one ALT
        if rows:
            index.write("".join(rows))

    def _index_small(self, parsed, index) -> None:
        chrom = normalise_chrom(parsed.chrom)
        rows = []
        for target in self.targets:
            gt = parsed.genotypes[target.column]
            for allele in sorted({a for a in gt if a > 0}):
                alt = parsed.alts[allele - 1]
                if alt == "*":
                    continue
                zyg = 2 if len(gt) == 1 else (1 if all(a == allele for a in gt) else 0)
                rows.append(
                    f"{target.index}\t{chrom}\t{parsed.pos}\t{parsed.ref}\t{alt}\t{_ZYGOSITY[zyg]}\n"
                )
                self.variants[target.index] += 1
        if rows:
            index.write("".join(rows))

    def flush(self) -> None:
        self.spills.write(self.targets)
        self.buffered_bytes = 0


def remove_tree(path: Path) -> None:
    """Remove a work folder and everything in it (plaintext never outlives an ingest)."""
    if not path.exists():
        return
    for child in path.iterdir():
        child.unlink(missing_ok=True)
    os.rmdir(path)
