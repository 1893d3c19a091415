"""The consent gate: ontologies, the DUO matcher and decisions.

``Decision`` is built only in this package; everything that reads personal data for
a purpose demands one. ``decide``, ``eligible_subjects``, ``match`` and ``Purpose`` are
importable from here (loaded on first use, so importing the package needs no models).
"""

import sys
import types
from importlib import import_module

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
        value = getattr(import_module(_EXPORTS[name]), name)
        setattr(sys.modules[__name__], name, value)
        return value
    raise AttributeError(f"module 'governance.gate' has no attribute {name!r}")


class _GatePackage(types.ModuleType):
    """Keeps ``governance.gate.decide`` the function: importing the submodule of the same
    name would otherwise replace the package attribute with the module. The module is
    still importable as ``from governance.gate.decide import ...``."""

    def __setattr__(self, name, value):
        if (
            isinstance(value, types.ModuleType)
            and _EXPORTS.get(name) == value.__name__
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _GatePackage
