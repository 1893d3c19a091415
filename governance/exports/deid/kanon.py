"""k-anonymity and distinct l-diversity by full-domain generalisation and record suppression.

Each quasi-identifier has a hierarchy of levels; a *node* of the generalisation lattice
picks one level per quasi-identifier for the whole table. For a node, records whose
equivalence class (the records sharing all their generalised quasi-identifiers) has
fewer than k members, or fewer than l distinct sensitive values, are suppressed: the
whole record is withheld. Coarser nodes need less suppression but lose more detail.
The search evaluates every node of the lattice (the platform's lattices have tens to
hundreds of nodes) and picks the one with the least information loss among those whose
suppression stays within the allowed share, in the spirit of ARX's optimal search.

Information loss is the normalised certainty penalty (NCP) of Xu et al., "Utility-based
anonymization using local recoding" (KDD 2006), with suppression charged in full:

* a numeric quasi-identifier (age) released as a band costs (hi - lo) / (range of the
  column), where hi and lo bound the input values the band stands for;
* a categorical one costs 0 if the released value stands for a single input value, and
  otherwise (number of input values it stands for) / (number of distinct input values);
* a suppressed record costs 1 for every quasi-identifier;

and the table's figure is the mean over all input records and quasi-identifiers, from 0
(nothing generalised) to 1 (nothing left). "Input values" are the values after Safe
Harbor's own reductions (ages over 89 are already "90+"), so the figure measures what
k-anonymity costs on top of Safe Harbor.

Every step works on integer codes with numpy, so a node over 100,000 records costs a
few milliseconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from governance.errors import ValidationFailed
from governance.exports.deid.exceptions import DeidentificationFailed
from governance.exports.deid.hierarchies import Hierarchy

NCP_METRIC = "normalised certainty penalty (Xu et al. 2006), suppressed records cost 1"
MAX_LATTICE_NODES = 20_000


@dataclass
class EncodedQuasiIdentifier:
    """One quasi-identifier as integer codes, with its labels and costs at every level."""

    column: str
    hierarchy: Hierarchy
    codes: np.ndarray  # per record: index of its level-0 label in ``base``
    base: np.ndarray  # the distinct level-0 labels
    level_of: list[np.ndarray]  # per level: for each level-0 label, the index of its label
    level_labels: list[np.ndarray]  # per level: the distinct labels at that level
    level_cost: list[np.ndarray]  # per level: for each level-0 label, the NCP of its label
    _rows: dict[int, np.ndarray] = field(default_factory=dict)
    _row_cost: dict[int, np.ndarray] = field(default_factory=dict)
    _total_cost: dict[int, float] = field(default_factory=dict)

    def row_codes(self, level: int) -> np.ndarray:
        if level not in self._rows:
            self._rows[level] = self.level_of[level][self.codes]
        return self._rows[level]

    def row_costs(self, level: int) -> np.ndarray:
        if level not in self._row_cost:
            self._row_cost[level] = self.level_cost[level][self.codes]
        return self._row_cost[level]

    def kept_cost(self, level: int, keep: np.ndarray, suppressed: int) -> float:
        """The summed NCP of the records kept at ``level``, touching only the suppressed ones."""
        costs = self.row_costs(level)
        if level not in self._total_cost:
            self._total_cost[level] = float(costs.sum())
        if suppressed == 0:
            return self._total_cost[level]
        return self._total_cost[level] - float(costs[~keep].sum())

    def released(self, level: int) -> np.ndarray:
        """The released label of every record at ``level``."""
        return self.level_labels[level][self.row_codes(level)]

    def numbers(self) -> np.ndarray:
        number = self.hierarchy.number
        return np.array([number(label) for label in self.base], dtype="float64")

    def covers(self, level: int) -> dict[str, list]:
        """For each label at ``level``, the input values it stands for (numbers for age)."""
        values = self.numbers() if self.hierarchy.numeric else self.base
        covered: dict[str, list] = {}
        for label_index, value in zip(self.level_of[level], values, strict=True):
            covered.setdefault(self.level_labels[level][label_index], []).append(value)
        return covered


def _label_costs(of: np.ndarray, labels: np.ndarray, base_numbers: np.ndarray | None) -> np.ndarray:
    size = len(of)
    if base_numbers is None:
        counts = np.bincount(of, minlength=len(labels))
        label_cost = np.where(counts > 1, counts / size, 0.0)
    else:
        spans = pd.Series(base_numbers).groupby(of).agg(["min", "max"]).reindex(range(len(labels)))
        finite = base_numbers[~np.isnan(base_numbers)]
        width = float(finite.max() - finite.min()) if finite.size else 0.0
        span = (spans["max"] - spans["min"]).fillna(0.0).to_numpy()
        label_cost = span / width if width > 0 else np.zeros(len(labels))
    return label_cost[of]


def encode(column: str, level0: pd.Series, hierarchy: Hierarchy) -> EncodedQuasiIdentifier:
    """Codes and per-level labels for one quasi-identifier, computed once per distinct value."""
    codes, base = pd.factorize(level0.astype(str), sort=True)
    base = np.asarray(base, dtype=object)
    numbers = (
        np.array([hierarchy.number(label) for label in base], dtype="float64")
        if hierarchy.numeric
        else None
    )
    level_of, level_labels, level_cost = [], [], []
    for level in range(len(hierarchy.levels)):
        try:
            generalised = [hierarchy.generalise(label, level) for label in base]
        except (KeyError, ValueError) as error:
            raise ValidationFailed(
                f"Column {column!r} has a value its hierarchy cannot generalise to level "
                f"{hierarchy.levels[level]!r}.",
                code="deid_invalid_input",
                extra={"column": column},
            ) from error
        of, labels = pd.factorize(pd.Series(generalised, dtype=object))
        labels = np.asarray(labels, dtype=object)
        level_of.append(of.astype(np.int64))
        level_labels.append(labels)
        level_cost.append(_label_costs(of, labels, numbers))
    return EncodedQuasiIdentifier(
        column, hierarchy, codes.astype(np.int64), base, level_of, level_labels, level_cost
    )


@dataclass(frozen=True)
class Anonymisation:
    """The node chosen and its effect: which records stay, what they cost."""

    levels: tuple[int, ...]
    keep: np.ndarray
    suppressed: int
    loss: float


def _class_keys(
    encoded: Sequence[EncodedQuasiIdentifier], node: tuple[int, ...], n: int
) -> np.ndarray:
    """Dense equivalence-class numbers for every record at ``node``."""
    key = np.zeros(n, dtype=np.int64)
    bound = 1
    for qi, level in zip(encoded, node, strict=True):
        size = len(qi.level_labels[level])
        if size == 1:
            continue
        key = key * size + qi.row_codes(level)
        bound *= size
        if bound > 2**40:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
            bound = int(key.max()) + 1
    if bound > max(4 * n, 1 << 20):
        key = np.unique(key, return_inverse=True)[1].astype(np.int64)
    return key


def class_sizes_and_diversity(
    key: np.ndarray, sensitive: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """For each record: the size of its class and, given sensitive codes, their distinct count."""
    bound = int(key.max()) + 1 if key.size else 0
    sizes = np.bincount(key, minlength=bound)[key]
    if sensitive is None:
        return sizes, None
    width = int(sensitive.max()) + 1 if sensitive.size else 1
    if bound * width <= 1 << 24:
        # A presence bitmap (class x sensitive value) is far cheaper than sorting pairs.
        present = np.zeros(bound * width, dtype=bool)
        present[key * width + sensitive] = True
        distinct = np.count_nonzero(present.reshape(bound, width), axis=1)[key]
    else:
        pairs = np.unique(key * width + sensitive)
        distinct = np.bincount(pairs // width, minlength=bound)[key]
    return sizes, distinct


def _evaluate(
    encoded: Sequence[EncodedQuasiIdentifier],
    node: tuple[int, ...],
    n: int,
    k: int,
    l_diversity: int | None,
    sensitive: np.ndarray | None,
) -> tuple[np.ndarray, int, float]:
    key = _class_keys(encoded, node, n)
    sizes, distinct = class_sizes_and_diversity(key, sensitive if l_diversity else None)
    keep = sizes >= k
    if distinct is not None:
        keep &= distinct >= l_diversity
    kept = int(np.count_nonzero(keep))
    suppressed = n - kept
    if not encoded:
        return keep, suppressed, 1.0 if suppressed else 0.0
    total = sum(
        qi.kept_cost(level, keep, suppressed) for qi, level in zip(encoded, node, strict=True)
    )
    loss = (total + suppressed * len(encoded)) / (n * len(encoded))
    return keep, suppressed, loss


def lattice(
    encoded: Sequence[EncodedQuasiIdentifier], max_levels: Mapping[str, int]
) -> list[tuple[int, ...]]:
    """Every node of the generalisation lattice within the per-column level limits."""
    ranges = [range(max_levels.get(qi.column, qi.hierarchy.top) + 1) for qi in encoded]
    size = int(np.prod([len(r) for r in ranges])) if ranges else 1
    if size > MAX_LATTICE_NODES:
        raise ValidationFailed(
            f"The generalisation lattice has {size} nodes, more than {MAX_LATTICE_NODES}; "
            "use fewer quasi-identifiers or fewer levels.",
            code="deid_lattice_too_large",
        )
    return list(itertools.product(*ranges))


def anonymise(
    encoded: Sequence[EncodedQuasiIdentifier],
    *,
    n: int,
    k: int,
    max_suppression: float,
    l_diversity: int | None = None,
    sensitive: np.ndarray | None = None,
    max_levels: Mapping[str, int] | None = None,
) -> Anonymisation:
    """The least-loss node whose suppression fits the limit, or DeidentificationFailed.

    The search is exhaustive over the lattice, so the answer is the optimum for the
    stated metric, not a heuristic's guess. When no node fits, the error says how much
    suppression the best node would have needed, so the requester can judge whether a
    smaller k, a larger cohort or coarser limits would help.
    """
    limit = int(np.floor(max_suppression * n + 1e-9))
    best: tuple | None = None
    least_suppressed = n
    for node in lattice(encoded, max_levels or {}):
        keep, suppressed, loss = _evaluate(encoded, node, n, k, l_diversity, sensitive)
        least_suppressed = min(least_suppressed, suppressed)
        if suppressed > limit:
            continue
        rank = (loss, suppressed, sum(node), node)
        if best is None or rank < best[0]:
            best = (rank, keep)
    if best is None:
        needed = least_suppressed / n
        what = f"k-anonymity with k={k}"
        if l_diversity:
            what += f" and distinct l-diversity with l={l_diversity}"
        raise DeidentificationFailed(
            f"{what} needs {needed:.1%} of the {n} records suppressed "
            f"({least_suppressed} records), above the limit of {max_suppression:.1%}; "
            "nothing was released.",
            extra={
                "k": k,
                "l": l_diversity,
                "needed_share": round(needed, 6),
                "max_suppression": max_suppression,
                "rows_in": n,
            },
        )
    (loss, suppressed, _, node), keep = best
    return Anonymisation(levels=node, keep=keep, suppressed=suppressed, loss=loss)


def normalised_certainty_penalty(
    released: pd.DataFrame,
    *,
    rows_in: int,
    domains: Mapping[str, Iterable],
    covers: Mapping[str, Callable[[object], Collection]],
    numeric: Collection[str] = (),
) -> dict:
    """The NCP of a released table, so any anonymiser's output can be scored the same way.

    ``domains[column]`` lists the input values of each quasi-identifier (numbers for a
    numeric one), ``covers[column](label)`` says which input values a released label
    stands for, and records missing from ``released`` count as suppressed. The formula
    is in this module's docstring; the engine reports exactly this figure and the
    benchmark scores other tools with it.
    """
    by_column: dict[str, float] = {}
    suppressed = rows_in - len(released)
    for column, domain in domains.items():
        counts = released[column].value_counts(dropna=False)
        if column in numeric:
            values = np.asarray(list(domain), dtype="float64")
            values = values[~np.isnan(values)]
            width = float(values.max() - values.min()) if values.size else 0.0
        else:
            size = len(set(domain))
        total = float(suppressed)
        for label, count in counts.items():
            covered = covers[column](label)
            if column in numeric:
                numbers = np.asarray(list(covered), dtype="float64")
                numbers = numbers[~np.isnan(numbers)]
                span = float(numbers.max() - numbers.min()) if numbers.size else 0.0
                cost = span / width if width > 0 else 0.0
            else:
                distinct = len(set(covered))
                cost = distinct / size if distinct > 1 else 0.0
            total += cost * count
        by_column[column] = total / rows_in if rows_in else 0.0
    value = sum(by_column.values()) / len(by_column) if by_column else (1.0 if suppressed else 0.0)
    return {"metric": NCP_METRIC, "value": value, "by_column": by_column}
