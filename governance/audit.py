"""The kernel's audit entry point. Callers import ``audit_append`` from here."""

from governance.ledger.actions import Action, Outcome
from governance.ledger.append import audit_append, audit_batch

__all__ = ["Action", "Outcome", "audit_append", "audit_batch"]
