"""Genomic ingest throughput and memory, against a parse-only pass with the same parser.

Builds multi-sample VCFs (2,504 samples) by repeating the records of the 1000 Genomes
test file with increasing positions (each copy shifted 200 kb along chromosome 1),
bgzip-compressed like a real upload, at 1x and 4x the base size. Each measurement runs
in a fresh child process with its own database and vault (SQLite, or ``DATABASE_URL``):

* parse only: cyvcf2 iterating every record and decoding its genotypes (``gt_types``),
  which is the least any validation of genotypes must do; plain iteration without
  genotypes is reported too;
* ingest: ``genomic_file_ingest`` with a sample map of all 2,504 samples to fresh
  subjects: validate, split, encrypt each subject's file, index, audit;
* demo seed: ``genomics.demo.seed_genomics`` on the shipped file for 2,504 subjects.

Peak memory is the child's maximum RSS (``ru_maxrss``). The ratio is records per second
of the ingest over records per second of the parse-only pass (target at least 0.5).

Run: .venv/bin/python bench/bench_ingest.py [--copies 6] [--repeat 2]
"""

from __future__ import annotations

import argparse
import atexit
import base64
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "genomics" / "data" / "test_1000G.vcf.gz"
SHIFT = 200_000  # larger than the slice's last position (174,799)
TARGET_RATIO = 0.5


def build(path: Path, copies: int) -> int:
    """Write a bgzip VCF of ``copies`` shifted copies of the source records; return records."""
    import pysam

    lines = gzip.decompress(SOURCE.read_bytes()).split(b"\n")
    header = [line for line in lines if line.startswith(b"#")]
    body = [line.split(b"\t", 2) for line in lines if line and not line.startswith(b"#")]
    plain = path.with_suffix("")
    with plain.open("wb") as out:
        out.write(b"\n".join(header) + b"\n")
        for copy in range(copies):
            shift = copy * SHIFT
            out.write(b"".join(b"%s\t%d\t%s\n" % (c, int(p) + shift, rest) for c, p, rest in body))
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    return copies * len(body)


def _django(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DATA_DIR"] = str(workdir)
    os.environ["LOG_LEVEL"] = "WARNING"
    # Production settings: no query logging, operator-supplied keys.
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = base64.b64encode(os.urandom(48)).decode()
    os.environ["HELIX_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    os.environ["ALLOWED_HOSTS"] = "localhost"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        # A database of our own, created and dropped by the test machinery.
        from django.test.utils import setup_databases

        setup_databases(verbosity=0, interactive=False, keepdb=False)
    else:
        call_command("migrate", verbosity=0)


def _subjects(count: int) -> list:
    from django.utils import timezone

    from consent.models import Subject

    now = timezone.now()
    subjects = [Subject(created_at=now) for _ in range(count)]
    Subject.objects.bulk_create(subjects)
    return list(Subject.objects.order_by("-id")[:count])


def child(mode: str, path: Path) -> dict:
    """One measurement in this (fresh) process; prints JSON."""
    import cyvcf2

    if mode in ("parse", "iterate"):
        started = time.perf_counter()
        records = 0
        for variant in cyvcf2.VCF(str(path)):
            if mode == "parse":
                variant.gt_types  # noqa: B018 - decoding genotypes is the work measured
            records += 1
        seconds = time.perf_counter() - started
        return {"records": records, "seconds": seconds, "max_rss_mb": _rss_mb()}
    workdir = Path(tempfile.mkdtemp(prefix="helix-bench-ingest-db-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # database, vault, keys
    _django(workdir)
    if mode == "demo":
        from genomics.demo import demo_samples, seed_genomics

        samples = demo_samples()
        subjects = _subjects(len(samples))
        started = time.perf_counter()
        summary = seed_genomics(dict(zip(samples, subjects, strict=True)), actor="bench")
        seconds = time.perf_counter() - started
        return {
            "files": summary["files"],
            "records": summary["records"],
            "seconds": seconds,
            "max_rss_mb": _rss_mb(),
        }
    from genomics.services import genomic_file_ingest

    samples = cyvcf2.VCF(str(path)).samples
    subjects = _subjects(len(samples))
    started = time.perf_counter()
    summary = genomic_file_ingest(
        actor="bench", path=path, sample_map=dict(zip(samples, subjects, strict=True))
    )
    seconds = time.perf_counter() - started
    return {
        "records": summary.source_records,
        "files": len(summary.files),
        "variants": sum(f.variants for f in summary.files),
        "phases": summary.seconds,
        "seconds": seconds,
        "max_rss_mb": _rss_mb(),
    }


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(mode: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{mode} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def best(mode: str, path: Path, repeat: int) -> dict:
    runs = [run_child(mode, path) for _ in range(repeat)]
    chosen = min(runs, key=lambda r: r["seconds"])
    chosen["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    chosen["max_rss_mb"] = max(r["max_rss_mb"] for r in runs)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--copies", type=int, default=6, help="copies of the 1,042 records in the 1x file"
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="helix-bench-ingest-") as tmp:
        rows = []
        for factor in (1, 4):
            path = Path(tmp) / f"x{factor}.vcf.gz"
            records = build(path, args.copies * factor)
            plain_mb = records * 10_200 / 1e6  # about 10.2 kB per record, 2,504 samples
            iterate = best("iterate", path, args.repeat)
            parse = best("parse", path, args.repeat)
            ingest = best("ingest", path, args.repeat)
            rows.append(
                (factor, records, path.stat().st_size / 1e6, plain_mb, iterate, parse, ingest)
            )
        demo = best("demo", SOURCE, args.repeat)
    print(
        f"CPU count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, database "
        f"{'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}"
    )
    print(
        "| size | records | bgzip MB | ~VCF MB | iterate s | parse (gt) s | ingest s | ingest rec/s | ratio vs parse | ratio vs iterate | peak RSS parse / ingest MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for factor, records, gz_mb, plain_mb, iterate, parse, ingest in rows:
        ratio = parse["seconds"] / ingest["seconds"]
        ratio_iter = iterate["seconds"] / ingest["seconds"]
        print(
            f"| {factor}x | {records:,} | {gz_mb:.1f} | {plain_mb:.0f} | {iterate['seconds']:.2f} | {parse['seconds']:.2f} | "
            f"{ingest['seconds']:.2f} | {records / ingest['seconds']:,.0f} | {ratio:.2f} | {ratio_iter:.2f} | "
            f"{parse['max_rss_mb']:.0f} / {ingest['max_rss_mb']:.0f} |"
        )
    for factor, _, _, _, _, parse, ingest in rows:
        phases = ingest["phases"]
        split_ratio = parse["seconds"] / phases["validate_split_index"]
        print(
            f"{factor}x phases (s): {phases}; validate+split+index pass alone vs parse-only: {split_ratio:.2f}"
        )
    print(
        f"files per ingest {rows[0][6]['files']}, variants indexed at 1x {rows[0][6]['variants']:,}, "
        f"at 4x {rows[1][6]['variants']:,}"
    )
    growth = rows[1][6]["max_rss_mb"] / rows[0][6]["max_rss_mb"]
    print(f"peak RSS 4x / 1x: {growth:.2f} (flat means about 1)")
    print(
        f"demo seed (2,504 subjects x 1,042 records): {demo['seconds']:.2f} s, peak RSS {demo['max_rss_mb']:.0f} MB, "
        f"runs {demo['all_seconds']}"
    )
    ratios = [r[5]["seconds"] / r[6]["seconds"] for r in rows]
    print(f"ingest / parse-only rate: {min(ratios):.2f} (target >= {TARGET_RATIO})")
    print(
        "runs (s):",
        {f"{r[0]}x": {"parse": r[5]["all_seconds"], "ingest": r[6]["all_seconds"]} for r in rows},
    )


if __name__ == "__main__":
    main()
