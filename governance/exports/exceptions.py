"""Errors of cohort exports. Messages name the problem, never personal data."""

from __future__ import annotations

from governance.errors import Conflict, DomainError


class ExportFailed(DomainError):
    """The export cannot be produced (no subjects left, too much suppression, a grant that
    ended while it ran); the message is stored as the export's failure reason."""

    status_code = 422
    default_code = "export_failed"


class ExportNotReady(Conflict):
    """Files are asked for before the export has succeeded."""

    default_code = "export_not_ready"


class ExportSuperseded(DomainError):
    """This run lost its claim (the reconciler handed the export to a newer attempt, or it
    was cancelled); it must stop without publishing anything."""

    default_code = "export_superseded"
