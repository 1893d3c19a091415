"""The consent gate: ontologies, the DUO matcher and decisions.

``Decision`` is built only in this package; everything that reads personal data for
a purpose demands one. ``decide``, ``eligible_subjects``, ``match`` and ``Purpose`` are
importable from here (loaded on first use, so importing the package needs no models).
"""

_EXPORTS = {
    "decide": "governance.gate.decide",
    "eligible_subjects": "governance.gate.eligibility",
    "match": "governance.gate.matcher",
    "MatchResult": "governance.gate.matcher",
    "Purpose": "governance.gate.purpose",
    "Decision": "governance.gate.decision",
    "Reason": "governance.gate.decision",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'governance.gate' has no attribute {name!r}")
