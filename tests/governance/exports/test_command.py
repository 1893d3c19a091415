"""``export_cohort`` runs the export service synchronously and prints a JSON summary."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from governance.exports.models import CohortExport, ExportState
from tests.governance.exports.helpers import complete

pytestmark = pytest.mark.django_db


def test_the_command_exports_copies_the_files_and_prints_a_summary(make_cohort, tmp_path, capsys):
    cohort = make_cohort(n=6)
    out = tmp_path / "out"
    call_command(
        "export_cohort",
        "--grant",
        str(cohort.grant.pk),
        "--out",
        str(out),
        "--criteria",
        '{"regions": ["1:10000-10600"]}',
    )
    summary = json.loads(capsys.readouterr().out)
    export = CohortExport.objects.get()
    assert summary["export_id"] == export.pk and export.state == ExportState.SUCCEEDED
    assert summary["subjects"] == 6 and summary["k_achieved"] >= cohort.grant.k
    assert sorted(p.name for p in out.iterdir()) == sorted(export.file_names())
    assert complete(out)


def test_bad_criteria_and_a_missing_grant_exit_non_zero(make_cohort, tmp_path):
    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    with pytest.raises(CommandError, match="--criteria: not valid JSON"):
        call_command(
            "export_cohort",
            "--grant",
            str(cohort.grant.pk),
            "--out",
            str(tmp_path),
            "--criteria",
            "{oops",
        )
    with pytest.raises(CommandError, match="criteria.colour: unknown criterion"):
        call_command(
            "export_cohort",
            "--grant",
            str(cohort.grant.pk),
            "--out",
            str(tmp_path),
            "--criteria",
            '{"colour": 1}',
        )
    with pytest.raises(CommandError, match="no access grant"):
        call_command("export_cohort", "--grant", "99999", "--out", str(tmp_path))
    assert not CohortExport.objects.exists()


def test_a_failed_export_exits_non_zero_with_its_reason(make_cohort, tmp_path):
    cohort = make_cohort(n=3, genotypes=False, categories=("clinical", "demographic"))
    with pytest.raises(CommandError, match="failed: .*suppress"):
        call_command("export_cohort", "--grant", str(cohort.grant.pk), "--out", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
