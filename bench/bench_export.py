"""Cohort export benchmark: the 2,504-subject demo cohort, phenotypes and genotypes, end to end.

    .venv/bin/python bench/bench_export.py                       # SQLite (a temporary file)
    .venv/bin/python bench/bench_export.py --db postgres         # PostgreSQL, scratch database
    BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/h_exports_bench .venv/bin/python bench/bench_export.py --db postgres

Setup (not timed): every cohort subject with synthetic identifiers, a general-research
consent for all three data categories, the demo VCF ingested into the vault (split per
subject, encrypted to each subject's key), and an approved k=5 grant for a researcher.

Timed: ``cohort_export_request`` + ``cohort_export_run`` (what the Celery task does):
the gate's freeze, one audited decision per subject and category (asked in batches), the gated vault read
of every subject's file, de-identification, CSV + Parquet, the merged multi-sample VCF
(bgzip) encrypted to the researcher, the signed manifest, the consent re-check under
row locks and the atomic publication with one ledger event per included subject. The
run's own steps are timed by wrapping them, and set beside the bare steps on the same
data: a plain SELECT of the same rows, decrypting the same vault files with no gate and
no ledger, pycanon on the released table, and Crypt4GH (ours and the reference
package) over the same genotype bytes.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/h_exports_bench"


def _setup(vendor: str, data_dir: str, pg_url: str) -> None:
    if vendor == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        name = pg_url.rsplit("/", 1)[1]
        admin = pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = pg_url
    os.environ["DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production settings, as a deployment runs them (no query log, operator keys).
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["SECRET_KEY"] = base64.b64encode(os.urandom(48)).decode()
    os.environ["HELIX_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    os.environ["ALLOWED_HOSTS"] = "localhost"
    import django

    django.setup()


def _timed(store: dict, key: str, fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[key] += time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--subjects", type=int, default=2504)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="helix-bench-export-")
    _setup(args.db, data_dir, os.environ.get("BENCH_PG_URL", DEFAULT_PG))

    from crypt4gh import lib as c4gh_lib
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from pycanon import anonymity

    from consent.models import RecordedVia, Subject
    from consent.services import consent_grant
    from genomics import crypt4gh
    from genomics.demo import seed_genomics
    from genomics.models import GenomicFile, subject_key_context
    from genomics.vault import blob_path
    from governance import keys
    from governance.access.demo import seed_access
    from governance.demo.world import create_subjects
    from governance.exports.services import cohort_export_request
    from governance.exports.services import run as run_module
    from governance.ledger.models import AuditEvent
    from governance.roles import Role

    out: dict = {"database": connection.vendor, "subjects": args.subjects}
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    users = {}
    for name, role in (("steward", Role.DATA_STEWARD), ("researcher", Role.RESEARCHER),
                       ("dac1", Role.DAC_MEMBER), ("dac2", Role.DAC_MEMBER)):  # fmt: skip
        users[name] = User.objects.create_user(username=name)
        users[name].groups.add(Group.objects.get(name=role))
    now = timezone.now()
    subjects = create_subjects(count=args.subjects, seed=7, now=now - timezone.timedelta(days=30))
    for subject in subjects:
        consent_grant(actor="seed", subject=subject, data_use={"permission": "DUO:0000042"},
                      categories=["genomic", "clinical", "demographic"], via=RecordedVia.SEED,
                      now=now - timezone.timedelta(days=29))  # fmt: skip
    genomics = seed_genomics({s.sample_id: s for s in Subject.objects.all()})
    secret, public = crypt4gh.generate_keypair()
    grant = seed_access(researcher=users["researcher"], dac_members=[users["dac1"], users["dac2"]],
                        now=now, public_key=public, k=5)  # fmt: skip
    out["setup_s"] = round(time.perf_counter() - started, 1)
    out["genomic_files"] = genomics["files"]

    # --- the export, end to end, with its own steps timed ---------------------------------
    steps: dict[str, float] = defaultdict(float)
    run_module.decide_many = _timed(steps, "gate decisions (audited)", run_module.decide_many)
    run_module._read_batch = _timed(steps, "gated vault reads + VCF parsing", run_module._read_batch)
    run_module.build_outputs = _timed(steps, "de-identify + write files + manifest", run_module.build_outputs)
    run_module._publish = _timed(steps, "re-check under locks + publish + ledger", run_module._publish)
    run_module._frozen_subjects = _timed(steps, "freeze (gate SQL)", run_module._frozen_subjects)
    events_before = AuditEvent.objects.count()
    started = time.perf_counter()
    export = cohort_export_request(actor=users["researcher"], grant=grant, enqueue_run=False)
    export = run_module.cohort_export_run(export_id=export.pk)
    wall = time.perf_counter() - started
    assert export.state == "succeeded", export.failure_reason
    out["export"] = {
        "wall_s": round(wall, 2),
        "subjects_per_s": round(args.subjects / wall, 1),
        "released": export.subject_count,
        "suppressed": export.report["suppressed"],
        "k_achieved": export.k_achieved,
        "generalisation": export.report["generalisation_levels"],
        "ledger_events": AuditEvent.objects.count() - events_before,
        "files": {f["name"]: f["size"] for f in export.files},
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
    }

    # --- the bare steps on the same data ---------------------------------------------------
    folder = Path(export.output_dir)
    bare: dict[str, float] = {}
    ids = list(Subject.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    rows = list(Subject.objects.filter(pk__in=ids).values_list("code", "birth_date", "sex", "postcode", "ethnic_background"))
    bare["SELECT the same subject rows"] = time.perf_counter() - started
    assert len(rows) == args.subjects

    files = list(GenomicFile.objects.select_related("subject", "subject_key"))
    started = time.perf_counter()
    plain_bytes = 0
    for genomic_file in files:
        key = keys.unwrap_key(bytes(genomic_file.subject_key.wrapped_private),
                              context=subject_key_context(genomic_file.subject.code, genomic_file.subject_key.version))  # fmt: skip
        with blob_path(genomic_file).open("rb") as handle:
            plain_bytes += sum(len(c) for c in crypt4gh.iter_plaintext(handle, private_key=key))
    bare["decrypt the same vault files (no gate, no ledger)"] = time.perf_counter() - started

    import pandas as pd

    released = pd.read_csv(folder / "phenotypes.csv", dtype=str, keep_default_na=False)
    started = time.perf_counter()
    k = anonymity.k_anonymity(released, export.report["quasi_identifiers"])
    bare["pycanon k_anonymity on the released table"] = time.perf_counter() - started
    assert k >= 5

    vcf_bgzip = io.BytesIO()
    with (folder / "genotypes.vcf.gz.c4gh").open("rb") as handle:
        crypt4gh.decrypt(handle, vcf_bgzip, private_key=secret)
    payload = vcf_bgzip.getvalue()
    started = time.perf_counter()
    crypt4gh.encrypt(io.BytesIO(payload), io.BytesIO(), recipients=[public])
    bare["Crypt4GH encrypt of the same genotype bytes (ours)"] = time.perf_counter() - started
    started = time.perf_counter()
    c4gh_lib.encrypt([(0, crypt4gh.generate_keypair()[0], public)], io.BytesIO(payload), io.BytesIO())
    bare["Crypt4GH encrypt of the same genotype bytes (reference)"] = time.perf_counter() - started
    out["bare_s"] = {k: round(v, 3) for k, v in bare.items()}
    out["vault_plaintext_mb"] = round(plain_bytes / 1e6, 1)
    out["genotype_bgzip_mb"] = round(len(payload) / 1e6, 2)
    out["bare_total_s"] = round(sum(bare.values()) - bare["Crypt4GH encrypt of the same genotype bytes (reference)"], 2)
    out["overhead_ratio"] = round(wall / out["bare_total_s"], 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
