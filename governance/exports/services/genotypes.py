"""The cohort's genotypes: per-subject vault streams merged into one multi-sample VCF.

Each subject's file is read once, through the vault's gated ``open_plaintext``, and kept
in memory as (record index, genotype) pairs, so a rebuild after a late withdrawal only
drops columns. Files split from a multi-sample VCF list only the subject's
non-reference records (their header says so), so a record absent from such a file is
homozygous reference (written ``0/0``); absent from a whole single-sample file, it is
missing (``./.``). The cohort file lists the records at least one member carries. The file written is a bgzip VCF with samples named by pseudonym, only the
``GT`` field and no INFO (the source's INFO describes its own cohort, not this one),
restricted to the requested regions; it exists in plaintext only inside the run's
temporary folder and is removed as soon as its Crypt4GH copy is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pysam

from genomics import crypt4gh
from genomics.ingest.split import SPLIT_NOTE
from governance.exports.criteria import Region, normal_contig

MISSING = b"./."
HOM_REF = b"0/0"
_SPLIT_NOTE = SPLIT_NOTE.encode()
_KEPT_META = (b"##fileformat=", b"##reference=", b"##contig=", b"##FILTER=")
_GT_FORMAT = b'##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'
_COLUMNS = b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"


@dataclass
class GenotypeStore:
    """Genotypes of the cohort read so far, indexed by the records they share."""

    regions: list[Region]
    meta: list[bytes] = field(default_factory=list)  # from the first subject's header
    meta_read: bool = False
    records: dict[bytes, int] = field(default_factory=dict)  # "CHROM..FILTER" prefix -> row
    order: list[tuple[int, int, bytes]] = field(default_factory=list)  # (contig rank, pos, prefix)
    contigs: dict[str, int] = field(default_factory=dict)
    # subject id -> (record rows, calls, the call of a record the file does not list)
    columns: dict[int, tuple[np.ndarray, list[bytes], bytes]] = field(default_factory=dict)
    _wanted: dict[bytes, bool] = field(default_factory=dict)

    def add(self, subject_id: int, chunks) -> int:
        """Read one subject's plaintext VCF stream; return the records kept for them."""
        data = b"".join(chunks)
        rows: list[int] = []
        calls: list[bytes] = []
        absent = MISSING
        records, wanted = self.records, self._wanted
        for line in data.split(b"\n"):
            if not line:
                continue
            if line[0] == 35:  # "#"
                if line == _SPLIT_NOTE:
                    absent = HOM_REF
                elif not self.meta_read and line.startswith(_KEPT_META):
                    self.meta.append(line)
                continue
            prefix, _info, fmt, sample = line.rsplit(b"\t", 3)
            keep = wanted.get(prefix)
            if keep is None:
                keep = wanted[prefix] = self._admit(prefix)
            if not keep:
                continue
            if fmt == b"GT":
                gt = sample
            else:
                names = fmt.split(b":")
                values = sample.split(b":")
                index = names.index(b"GT") if b"GT" in names else -1
                gt = values[index] if 0 <= index < len(values) else MISSING
            rows.append(records[prefix])
            calls.append(gt)
        self.meta_read = True
        self.columns[subject_id] = (np.asarray(rows, dtype=np.int64), calls, absent)
        return len(rows)

    def _admit(self, prefix: bytes) -> bool:
        fields = prefix.split(b"\t", 2)
        contig, pos = fields[0].decode("ascii", "replace"), int(fields[1])
        if self.regions and not any(r.covers(contig, pos) for r in self.regions):
            return False
        rank = self.contigs.setdefault(normal_contig(contig), len(self.contigs))
        self.records[prefix] = len(self.order)
        self.order.append((rank, pos, prefix))
        return True

    def header(self, *, subject_codes: set[str]) -> list[bytes]:
        """The kept meta lines, minus any that mention a subject code, plus the GT format."""
        lines = []
        for line in self.meta:
            text = line.decode("utf-8", "replace")
            if any(code in text for code in subject_codes):
                continue
            lines.append(line)
        if not any(line.startswith(b"##fileformat=") for line in lines):
            lines.insert(0, b"##fileformat=VCFv4.2")
        return [*lines, _GT_FORMAT]

    def write_vcf(
        self, path: Path, *, samples: list[tuple[int, str]], subject_codes: set[str]
    ) -> int:
        """Write the bgzip VCF of ``samples`` ((subject id, pseudonym), in column order) to
        ``path``; return the number of records."""
        order = sorted(range(len(self.order)), key=lambda i: self.order[i][:2])
        matrix = np.full((len(self.order), len(samples)), MISSING, dtype=object)
        for column, (subject_id, _name) in enumerate(samples):
            rows, calls, absent = self.columns[subject_id]
            if absent != MISSING:
                matrix[:, column] = absent
            if len(rows):
                matrix[rows, column] = calls
        head = self.header(subject_codes=subject_codes)
        names = b"\t".join(name.encode("ascii") for _, name in samples)
        with pysam.BGZFile(str(path), "wb") as out:
            out.write(b"\n".join(head) + b"\n" + _COLUMNS + b"\t" + names + b"\n")
            batch: list[bytes] = []
            for row in order:
                prefix = self.order[row][2]
                batch.append(prefix + b"\t.\tGT\t" + b"\t".join(matrix[row]) + b"\n")
                if len(batch) >= 512:
                    out.write(b"".join(batch))
                    batch.clear()
            if batch:
                out.write(b"".join(batch))
        return len(order)


def encrypt_for(plain: Path, encrypted: Path, *, recipient: bytes) -> None:
    """Crypt4GH-encrypt ``plain`` to the researcher's key alone, fsync, and remove ``plain``."""
    try:
        with plain.open("rb") as source, encrypted.open("wb") as out:
            crypt4gh.encrypt(source, out, recipients=[recipient], digest=False)
            out.flush()
            os.fsync(out.fileno())
    finally:
        plain.unlink(missing_ok=True)
