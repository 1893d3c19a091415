"""The export state machine: one guarded move, made under the row lock."""

from __future__ import annotations

from governance.errors import InvalidTransition
from governance.exports.models import EXPORT_TRANSITIONS, CohortExport


def lock_export(export_id) -> CohortExport | None:
    """The export row, locked until the transaction ends (None if it does not exist)."""
    return CohortExport.objects.select_for_update().filter(pk=export_id).first()


def move(export: CohortExport, to: str) -> None:
    """Change the state of a locked export, or raise ``InvalidTransition``."""
    if to not in EXPORT_TRANSITIONS[export.state]:
        raise InvalidTransition(
            f"state: an export that is {export.state} cannot become {to}",
            extra={"state": export.state, "to": to},
        )
    export.state = to
