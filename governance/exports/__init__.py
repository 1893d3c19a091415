"""Cohort exports: de-identification, the export service and its tasks."""
