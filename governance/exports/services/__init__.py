"""Every write to cohort exports: requests, runs, cancellation, reconciliation, downloads."""

from governance.exports.services.downloads import cohort_export_file_open
from governance.exports.services.reconcile import cohort_exports_reconcile
from governance.exports.services.requests import cohort_export_cancel, cohort_export_request
from governance.exports.services.run import cohort_export_run

__all__ = [
    "cohort_export_cancel",
    "cohort_export_file_open",
    "cohort_export_request",
    "cohort_export_run",
    "cohort_exports_reconcile",
]
