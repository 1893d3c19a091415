"""Every write of the genomic vault: ingest, subject keys, rotation, erasure."""

from genomics.services.erasure import subject_erase
from genomics.services.ingest import IngestSummary, genomic_file_ingest, sample_map_parse
from genomics.services.keys import (
    RotationResult,
    master_key_retire,
    master_key_rotate,
    subject_key_ensure,
)

__all__ = [
    "IngestSummary",
    "RotationResult",
    "genomic_file_ingest",
    "master_key_retire",
    "master_key_rotate",
    "sample_map_parse",
    "subject_erase",
    "subject_key_ensure",
]
