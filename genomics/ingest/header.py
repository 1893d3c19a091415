"""The VCF header: checked line by line, then parsed by htslib (through cyvcf2).

htslib accepts a great deal (an unterminated ``##INFO=<...`` line, a record before the
``#CHROM`` line is a hard error but an undeclared contig only a warning), so the
structural checks below run first and name the line; the parser then builds the header
the records are parsed against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cyvcf2
from cyvcf2.cyvcf2 import set_htslib_log_level

from genomics.exceptions import VcfInvalid

# htslib prints warnings (and whole offending lines) to stderr; the checks here report
# problems with line numbers instead, and no genotype may reach a log.
set_htslib_log_level(0)

FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
_FILEFORMAT = re.compile(r"^##fileformat=VCFv4\.[1-4]$")
_META_KEY = re.compile(r"^##([A-Za-z0-9_.\-]+)=(.*)$")
_NUMBER = re.compile(r"^(?:[0-9]+|[ARG.])$")
_TYPES = {
    "INFO": {"Integer", "Float", "Flag", "Character", "String"},
    "FORMAT": {"Integer", "Float", "Character", "String"},
}
_REQUIRED = {
    "INFO": ("ID", "Number", "Type", "Description"),
    "FORMAT": ("ID", "Number", "Type", "Description"),
    "FILTER": ("ID", "Description"),
    "ALT": ("ID", "Description"),
    "contig": ("ID",),
}
_ASSEMBLIES = (
    ("GRCh38", re.compile(r"GRCh38|hg38|hs38|GCA_000001405\.15", re.IGNORECASE)),
    (
        "GRCh37",
        re.compile(r"GRCh37|hg19|\bb37\b|hs37d5|human_g1k_v37|GCA_000001405\.1\b", re.IGNORECASE),
    ),
)

# Header lines that describe samples by name; they are dropped from stored files.
SAMPLE_META_KEYS = frozenset({"SAMPLE", "PEDIGREE"})


@dataclass
class VcfHeader:
    meta_lines: list[str]
    samples: list[str]
    line_count: int  # header lines including #CHROM
    contigs: dict[str, int | None] = field(default_factory=dict)
    info_ids: set[str] = field(default_factory=set)
    format_ids: set[str] = field(default_factory=set)
    filter_ids: set[str] = field(default_factory=lambda: {"PASS"})
    assembly: str | None = None
    parser: cyvcf2.Writer | None = None

    @property
    def expected_columns(self) -> int:
        return len(FIXED_COLUMNS) + (1 + len(self.samples) if self.samples else 0)

    def text(self, samples: list[str] | None = None) -> str:
        """The header as VCF text, with the given sample columns (default: the file's)."""
        names = self.samples if samples is None else samples
        chrom = "\t".join(FIXED_COLUMNS + (["FORMAT", *names] if names else []))
        return "".join(f"{line}\n" for line in self.meta_lines) + chrom + "\n"


def _structured(value: str) -> dict[str, str] | None:
    """Parse ``<ID=x,Description="a, b">`` into a dict; ``None`` when malformed."""
    body = value[1:-1]
    result: dict[str, str] = {}
    i, n = 0, len(body)
    while i < n:
        eq = body.find("=", i)
        if eq < 0:
            return None
        key = body[i:eq].strip()
        if not key:
            return None
        j = eq + 1
        if j < n and body[j] == '"':
            k = j + 1
            while k < n and body[k] != '"':
                k += 2 if body[k] == "\\" else 1
            if k >= n:
                return None
            result[key] = body[j + 1 : k]
            j = k + 1
        else:
            k = body.find(",", j)
            k = n if k < 0 else k
            result[key] = body[j:k]
            j = k
        if j < n and body[j] != ",":
            return None
        i = j + 1
    return result


def _detect_assembly(texts: list[str], line_numbers: list[int]) -> str | None:
    found: tuple[str, int] | None = None
    for text, line in zip(texts, line_numbers, strict=True):
        for name, pattern in _ASSEMBLIES:
            if pattern.search(text):
                if found and found[0] != name:
                    raise VcfInvalid(
                        line,
                        "assembly",
                        f"the header names assembly {name} but line {found[1]} names {found[0]}.",
                    )
                found = found or (name, line)
                break
    return found[0] if found else None


class HeaderReader:
    """Feed header lines in order with ``add``; ``finish`` returns the parsed header."""

    def __init__(self):
        self.meta: list[str] = []
        self._ids: dict[str, set[str]] = {}
        self._assembly_texts: list[str] = []
        self._assembly_lines: list[int] = []
        self._contigs: dict[str, int | None] = {}

    def add(self, number: int, line: str) -> VcfHeader | None:
        """Check one header line. Returns the header once the ``#CHROM`` line arrives."""
        if number == 1:
            if not _FILEFORMAT.match(line):
                raise VcfInvalid(
                    1, "fileformat", "the first line must be ##fileformat=VCFv4.1 to VCFv4.4."
                )
            self.meta.append(line)
            return None
        if line.startswith("#CHROM"):
            return self._finish(number, line)
        if not line.startswith("##"):
            if not line:
                raise VcfInvalid(number, "blank_line", "blank line in the header.")
            if line.startswith("#"):
                raise VcfInvalid(
                    number, "header", "a header line must start with ## or be the #CHROM line."
                )
            raise VcfInvalid(number, "header", "a record appears before the #CHROM header line.")
        self._meta_line(number, line)
        self.meta.append(line)
        return None

    def _meta_line(self, number: int, line: str) -> None:
        match = _META_KEY.match(line)
        if not match:
            raise VcfInvalid(
                number, "header", "a meta-information line must look like ##key=value."
            )
        key, value = match.groups()
        if key == "fileformat":
            raise VcfInvalid(number, "header", "##fileformat appears more than once.")
        if not value.startswith("<"):
            if key == "reference":
                self._assembly_texts.append(value)
                self._assembly_lines.append(number)
            return
        if not value.endswith(">"):
            raise VcfInvalid(
                number, "header", f"the ##{key} line opens '<' but does not end with '>'."
            )
        fields = _structured(value)
        if fields is None:
            raise VcfInvalid(number, "header", f"the ##{key} line is not a valid key=value list.")
        for required in _REQUIRED.get(key, ()):
            if not fields.get(required):
                raise VcfInvalid(number, "header", f"the ##{key} line has no {required}.")
        if key in _TYPES:
            if not _NUMBER.match(fields["Number"]):
                raise VcfInvalid(
                    number,
                    "header",
                    f"##{key} {fields['ID']}: Number must be an integer, A, R, G or '.'.",
                )
            if fields["Type"] not in _TYPES[key]:
                raise VcfInvalid(
                    number,
                    "header",
                    f"##{key} {fields['ID']}: Type {fields['Type']!r} is not allowed.",
                )
        if "ID" in fields and key in _REQUIRED:
            seen = self._ids.setdefault(key, set())
            if fields["ID"] in seen:
                raise VcfInvalid(number, "header", f"##{key} ID {fields['ID']} is declared twice.")
            seen.add(fields["ID"])
        if key == "contig":
            length = fields.get("length")
            if length is not None and not length.isdigit():
                raise VcfInvalid(
                    number, "header", f"##contig {fields['ID']}: length must be a whole number."
                )
            self._contigs[fields["ID"]] = int(length) if length else None
            if fields.get("assembly"):
                self._assembly_texts.append(fields["assembly"])
                self._assembly_lines.append(number)

    def _finish(self, number: int, line: str) -> VcfHeader:
        columns = line.split("\t")
        if columns[:8] != FIXED_COLUMNS or (len(columns) > 8 and columns[8] != "FORMAT"):
            raise VcfInvalid(
                number,
                "header",
                "the #CHROM line must list #CHROM POS ID REF ALT QUAL FILTER INFO, tab-separated, then FORMAT.",
            )
        samples = columns[9:]
        if not samples:
            raise VcfInvalid(
                number,
                "no_samples",
                "the file has no sample columns: there is nothing to store per subject.",
            )
        seen: set[str] = set()
        for index, name in enumerate(samples, start=1):
            if not name or name != name.strip():
                raise VcfInvalid(
                    number,
                    "sample_name",
                    f"sample column {index} has an empty or space-padded name.",
                )
            if name in seen:
                raise VcfInvalid(
                    number, "sample_name", f"sample column {index} repeats an earlier sample name."
                )
            seen.add(name)
        header = VcfHeader(
            meta_lines=self.meta,
            samples=samples,
            line_count=number,
            contigs=self._contigs,
            info_ids=set(self._ids.get("INFO", ())),
            format_ids=set(self._ids.get("FORMAT", ())),
            filter_ids={"PASS", *self._ids.get("FILTER", ())},
            assembly=_detect_assembly(self._assembly_texts, self._assembly_lines),
        )
        header.parser = _parse_with_htslib(header)
        return header


def _parse_with_htslib(header: VcfHeader) -> cyvcf2.Writer:
    try:
        return cyvcf2.Writer.from_string("/dev/null", header.text())
    except Exception:  # noqa: S110 - cyvcf2 raises a bare Exception; find the line below
        pass
    for end in range(2, len(header.meta_lines) + 1):
        trial = VcfHeader(
            meta_lines=header.meta_lines[:end], samples=header.samples, line_count=end
        )
        try:
            cyvcf2.Writer.from_string("/dev/null", trial.text())
        except Exception:  # noqa: S112 - probing for the first line htslib refuses
            raise VcfInvalid(
                end, "header", "the VCF parser (htslib) rejected this header line."
            ) from None
    raise VcfInvalid(header.line_count, "header", "the VCF parser (htslib) rejected the header.")


def header_end_error(last_line: int) -> VcfInvalid:
    return VcfInvalid(last_line + 1, "header", "the file ends before the #CHROM header line.")
