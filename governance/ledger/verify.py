"""Verifying the whole ledger: every leaf, the tree, every checkpoint, the external copy.

One streaming pass in sequence order (keyset-chunked queries) recomputes each event's
leaf hash from its stored document, checks the document says what the row's columns say
(on PostgreSQL with the document constraint validated, the database guarantees that for
every row; otherwise each document is re-derived from the columns), and checks, in order:

* density: sequence numbers run 1, 2, 3, ... with no gap (a gap is a missing event);
* the stored leaf hash (a mismatch is an edit, or an event moved to another seq);
* the external level-0 tiles, where present (a mismatch there, with a matching stored
  hash, means the event was edited and rehashed by someone with database access);
* the Merkle root at the size of every checkpoint, stored or external (a mismatch is
  a checkpoint mismatch), and that no checkpoint covers more events than exist.

Every checkpoint's signature is checked first. The first problem found raises
``LedgerTampered`` naming the sequence number and what is wrong; success returns a
``VerifyReport``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from governance.errors import IntegrityFailure
from governance.ledger import external, merkle, notes, triggers
from governance.ledger.append import LEAF_COLUMNS, leaf_document_from_row, leaf_hash_from_row
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.selectors import CHUNK, leaf_rows, tree_size

EDITED = "edited"
MISSING = "missing"
INSERTED = "inserted"
REORDERED = "reordered"
CHECKPOINT_MISMATCH = "checkpoint mismatch"

_SEARCH_LIMIT = 2_000_000  # how far to look for where a moved event was first recorded


class LedgerTampered(IntegrityFailure):
    """The ledger does not verify. Names the first bad sequence number and the problem."""

    def __init__(self, *, seq: int | None, problem: str, detail: str):
        where = f"seq {seq}" if seq is not None else "ledger"
        super().__init__(
            f"{where}: {problem}: {detail}",
            code="ledger_tampered",
            extra={"seq": seq, "problem": problem},
        )
        self.seq = seq
        self.problem = problem


@dataclass(frozen=True)
class VerifyReport:
    tree_size: int
    root_hash: bytes
    checkpoints: int
    external_checkpoints: int
    tiled_leaves: int
    seconds: float
    # How each event's columns were checked against its hashed document: re-derived here,
    # or guaranteed by the database's validated document constraint.
    columns_checked_by: str = "recomputing each document"

    def summary(self) -> str:
        rate = self.tree_size / self.seconds if self.seconds > 0 else 0.0
        return (
            f"ledger intact: {self.tree_size} events, root {self.root_hash.hex()}, "
            f"{self.checkpoints} stored and {self.external_checkpoints} external checkpoints match, "
            f"{self.tiled_leaves} leaves match the external tiles, columns checked by "
            f"{self.columns_checked_by} ({self.seconds:.2f}s, {rate:,.0f} events/s)"
        )


@dataclass(frozen=True)
class _Target:
    size: int
    root: bytes
    label: str


def _row(seq: int) -> tuple | None:
    return AuditEvent.objects.filter(seq=seq).values_list(*LEAF_COLUMNS, "leaf_hash").first()


# ``truth(seq, row)`` is the hash the row's content must have if it was recorded at
# ``seq``: the row's own stored hash (which moves with the row), or the external tile.
Truth = Callable[[int, tuple], bytes | None]


def _stored_truth(seq: int, row: tuple) -> bytes | None:
    return bytes.fromhex(row[12]) if len(row[12]) == 64 else None


def _recorded_at(row: tuple, truth: Truth, limit: int) -> int | None:
    """The sequence number at which this row's content was originally recorded, if any."""
    here = row[0]
    nearby = [s for s in range(here - 3, here + 4) if s >= 1 and s != here]
    rest = (s for s in range(1, min(limit, _SEARCH_LIMIT) + 1) if abs(s - here) > 3)
    for candidate in (*nearby, *rest):
        expected = truth(candidate, row)
        if expected is not None and leaf_hash_from_row(row[:12], seq=candidate) == expected:
            return candidate
    return None


def _diagnose(row: tuple, truth: Truth, limit: int, how: str) -> LedgerTampered:
    """Explain a leaf that does not match ``truth``: edited, inserted, missing or reordered."""
    here = row[0]
    recorded = _recorded_at(row, truth, limit)
    if recorded is None:
        following = _row(here + 1)
        if following is not None:
            original = truth(here, following)
            if original is not None and leaf_hash_from_row(following[:12], seq=here) == original:
                return LedgerTampered(
                    seq=here,
                    problem=INSERTED,
                    detail=f"an event not in the {how} sits here; later events are shifted",
                )
        return LedgerTampered(
            seq=here, problem=EDITED, detail=f"its contents do not match the {how}"
        )
    if recorded < here:
        return LedgerTampered(
            seq=recorded,
            problem=INSERTED,
            detail=f"events from here on are shifted by {here - recorded} (seq {here} was recorded as {recorded})",
        )
    other = _row(recorded)
    if other is not None:
        original = truth(here, other)
        if original is not None and leaf_hash_from_row(other[:12], seq=here) == original:
            return LedgerTampered(
                seq=here, problem=REORDERED, detail=f"swapped with seq {recorded}"
            )
    return LedgerTampered(
        seq=here,
        problem=MISSING,
        detail=f"the event recorded here was removed; seq {here} now holds the event recorded as {recorded}",
    )


class _Tiles:
    """Read-through access to the external level-0 tiles, one tile in memory at a time."""

    def __init__(self, limit: int):
        self.limit = limit
        self._index = -1
        self._data: bytes | None = None

    def get(self, seq: int) -> bytes | None:
        position = seq - 1
        if position >= self.limit or position < 0:
            return None
        index, offset = divmod(position, external.TILE_WIDTH)
        if index != self._index:
            self._index, self._data = index, external.read_tile(index)
        data = self._data
        if data is None or (offset + 1) * 32 > len(data):
            return None
        return data[offset * 32 : offset * 32 + 32]

    def agree(self, first_seq: int, leaves: list[bytes]) -> int | None:
        """How many of these consecutive leaves the tiles hold, all equal to them; None if
        the tiles hold a different hash for any of them."""
        position, end = first_seq - 1, min(first_seq - 1 + len(leaves), self.limit)
        held = 0
        while position < end:
            index, offset = divmod(position, external.TILE_WIDTH)
            take = min(external.TILE_WIDTH - offset, end - position)
            if index != self._index:
                self._index, self._data = index, external.read_tile(index)
            stored = (self._data or b"")[offset * 32 : (offset + take) * 32]
            start = position - first_seq + 1
            ours = b"".join(leaves[start : start + len(stored) // 32])
            if stored != ours:
                return None
            held += len(stored) // 32
            position += take
        return held

    def authentic(self, target: _Target) -> bool:
        """Whether the tiles reproduce a signed external root (so they can be trusted)."""
        builder = merkle.TreeBuilder()
        for seq in range(1, target.size + 1):
            leaf = self.get(seq)
            if leaf is None:
                return False
            builder.append(leaf)
        return builder.root() == target.root


def _stored_targets() -> list[_Target]:
    targets = []
    for checkpoint in Checkpoint.objects.order_by("tree_size"):
        label = f"stored checkpoint at size {checkpoint.tree_size}"
        try:
            parsed = notes.parse_and_verify(checkpoint.note)
        except notes.CheckpointInvalid:
            raise LedgerTampered(
                seq=checkpoint.tree_size or None,
                problem=CHECKPOINT_MISMATCH,
                detail=f"{label}: signature invalid",
            ) from None
        if (
            parsed.tree_size != checkpoint.tree_size
            or parsed.root_hash.hex() != checkpoint.root_hash
        ):
            raise LedgerTampered(
                seq=checkpoint.tree_size or None,
                problem=CHECKPOINT_MISMATCH,
                detail=f"{label}: its columns disagree with its signed note",
            )
        targets.append(_Target(parsed.tree_size, parsed.root_hash, label))
    return targets


def _external_targets(extra_files: Iterable[Path]) -> list[_Target]:
    targets = []
    for path in [*external.note_files(), *map(Path, extra_files)]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise LedgerTampered(
                seq=None, problem=CHECKPOINT_MISMATCH, detail=f"{path.name}: unreadable"
            ) from None
        try:
            parsed = notes.parse_and_verify(text)
        except notes.CheckpointInvalid:
            raise LedgerTampered(
                seq=None,
                problem=CHECKPOINT_MISMATCH,
                detail=f"checkpoint file {path.name}: signature invalid",
            ) from None
        targets.append(
            _Target(parsed.tree_size, parsed.root_hash, f"external checkpoint {path.name}")
        )
    return targets


# PostgreSQL recomputes each leaf in the database: the stored canonical document must
# hash to the stored leaf hash (compared as hex text; a regular expression over every
# stored hash cost more than the hashing) and, unless the validated document constraint
# already guarantees it for every row, must say exactly what the row's columns say (as
# JSON values). Rows that fail, or have no document, go through the Python path, which
# recomputes the canonical JSON from the columns and diagnoses any difference.
_PG_HASHES = """
SELECT seq, leaf_hash,
       CASE WHEN document <> '' THEN
           encode(sha256('\\x00'::bytea || convert_to(document, 'UTF8')), 'hex') = leaf_hash
           %s
       ELSE false END
FROM ledger_auditevent WHERE seq > %%s ORDER BY seq LIMIT %%s
"""
_PG_FAST_CHUNK = _PG_HASHES % f"AND document::jsonb = {triggers.PG_COLUMNS_AS_DOCUMENT}"
_PG_HASH_CHUNK = _PG_HASHES % ""

# (seq, leaf hash already checked in the database, or None with the row to check here)
_Item = tuple[int, bytes | None, tuple | None]


def _python_items(after: int, chunk_size: int, limit: int | None = None) -> Iterator[_Item]:
    for count, row in enumerate(leaf_rows(after=after, chunk_size=chunk_size)):
        if limit is not None and count >= limit:
            return
        yield row[0], None, row


def _postgres_chunk(after: int, chunk_size: int, query: str) -> list[tuple] | None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(query, [after, chunk_size])
            return cursor.fetchall()
    except DatabaseError:
        return None  # a row the database cannot even parse: let the Python path explain it


def _blocks(chunk_size: int, *, columns_guaranteed: bool) -> Iterator[list[_Item]]:
    """The ledger's items in sequence order, a chunk at a time."""
    if connection.vendor != "postgresql":
        block: list[_Item] = []
        for item in _python_items(0, chunk_size):
            block.append(item)
            if len(block) == chunk_size:
                yield block
                block = []
        if block:
            yield block
        return
    query = _PG_HASH_CHUNK if columns_guaranteed else _PG_FAST_CHUNK
    last = 0
    while True:
        rows = _postgres_chunk(last, chunk_size, query)
        if rows is None:
            block = list(_python_items(last, chunk_size, limit=chunk_size))
            last = block[-1][0]
            yield block
            continue
        if not rows:
            return
        unchecked = [seq for seq, _, ok in rows if not ok]
        full = {}
        if unchecked:
            columns = (*LEAF_COLUMNS, "leaf_hash", "document")
            full = {
                r[0]: r for r in AuditEvent.objects.filter(seq__in=unchecked).values_list(*columns)
            }
        yield [
            (seq, bytes.fromhex(stored), None) if ok else (seq, None, full[seq])
            for seq, stored, ok in rows
        ]
        last = rows[-1][0]
        if len(rows) < chunk_size:
            return


class _Pass:
    """One verification pass: the tree so far, and what each leaf is checked against."""

    def __init__(self, by_size: dict[int, list[_Target]], outside: list[_Target]):
        self.by_size = by_size
        self.sizes = sorted(by_size)
        self.outside = outside
        self.tiles = _Tiles(max((t.size for t in outside), default=0))
        self.tiles_trusted: bool | None = None
        self.tiled = 0
        self.builder = merkle.TreeBuilder()

    @property
    def expected(self) -> int:
        return self.builder.size + 1

    def block(self, items: list[_Item]) -> None:
        first, last = items[0][0], items[-1][0]
        clean = (
            first == self.expected
            and last == first + len(items) - 1  # seq is the key: no repeats, so no gaps
            and all(checked is not None for _, checked, _ in items)
        )
        if clean:
            leaves = [checked for _, checked, _ in items]
            tiled = self.tiles.agree(first, leaves)
            if tiled is not None:
                self.tiled += tiled
                self._extend(leaves)
                return
        for seq, checked, row in items:  # one by one, to find and name the problem
            self.one(seq, checked, row)

    def _extend(self, leaves: list[bytes]) -> None:
        base, done = self.builder.size, 0
        inside = [s for s in self.sizes if base < s <= base + len(leaves)]
        for size in inside:
            self.builder.extend(leaves[done : size - base])
            done = size - base
            self._check_targets(size)
        self.builder.extend(leaves[done:])

    def one(self, seq: int, checked: bytes | None, row: tuple | None) -> None:
        expected = self.expected
        if seq != expected:
            raise LedgerTampered(
                seq=expected, problem=MISSING, detail=f"no event with this seq (next is {seq})"
            )
        if checked is not None:
            leaf = checked
        else:
            document = leaf_document_from_row(row[:12])
            leaf = hashlib.sha256(b"\x00" + document).digest()
            if leaf.hex() != row[12]:
                limit = max(tree_size(), max(self.by_size, default=0))
                raise _diagnose(row, _stored_truth, limit, "hash stored with it")
            if row[13] and row[13].encode("utf-8") != document:
                raise LedgerTampered(
                    seq=seq, problem=EDITED, detail="its stored document differs from its columns"
                )
        tiles = self.tiles
        outside_leaf = tiles.get(seq)
        if outside_leaf is not None:
            if outside_leaf != leaf:
                if self.tiles_trusted is None:
                    self.tiles_trusted = tiles.authentic(max(self.outside, key=lambda t: t.size))
                if self.tiles_trusted:
                    row = row or _row(seq)
                    raise _diagnose(
                        row, lambda s, _row: tiles.get(s), tiles.limit, "external checkpoint copy"
                    )
            else:
                self.tiled += 1
        self.builder.append(leaf)
        self._check_targets(self.builder.size)

    def _check_targets(self, size: int) -> None:
        for target in self.by_size.get(size, ()):
            if self.builder.root() != target.root:
                raise LedgerTampered(
                    seq=size,
                    problem=CHECKPOINT_MISMATCH,
                    detail=f"the first {size} events do not hash to the root of the {target.label}",
                )


def verify_ledger(
    *, checkpoint_files: Iterable[Path] = (), chunk_size: int = CHUNK
) -> VerifyReport:
    """Verify the whole ledger; raise ``LedgerTampered`` naming the first problem."""
    started = time.perf_counter()
    stored = _stored_targets()
    outside = _external_targets(checkpoint_files)
    by_size: dict[int, list[_Target]] = {}
    for target in (*stored, *outside):
        by_size.setdefault(target.size, []).append(target)

    for target in by_size.get(0, []):
        if target.root != merkle.EMPTY_ROOT:
            raise LedgerTampered(
                seq=None, problem=CHECKPOINT_MISMATCH, detail=f"{target.label}: not the empty root"
            )

    guaranteed = triggers.document_check(connection) == "validated"
    run = _Pass(by_size, outside)
    for block in _blocks(chunk_size, columns_guaranteed=guaranteed):
        run.block(block)

    size = run.builder.size
    beyond = [t for t in (*stored, *outside) if t.size > size]
    if beyond:
        target = min(beyond, key=lambda t: t.size)
        raise LedgerTampered(
            seq=size + 1,
            problem=MISSING,
            detail=f"the ledger ends at seq {size} but the {target.label} covers {target.size} events",
        )
    return VerifyReport(
        tree_size=size,
        root_hash=run.builder.root(),
        checkpoints=len(stored),
        external_checkpoints=len(outside),
        tiled_leaves=run.tiled,
        seconds=time.perf_counter() - started,
        columns_checked_by="the database's document constraint" if guaranteed else "recomputing each document",
    )
