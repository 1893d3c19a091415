"""Consent gate benchmark: eligible_subjects, decide, and the DUO match endpoint.

    .venv/bin/python bench/bench_gate.py                     # SQLite and PostgreSQL, 1,000,000 subjects
    .venv/bin/python bench/bench_gate.py --db sqlite --subjects 100000
    BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/h_gate_bench .venv/bin/python bench/bench_gate.py

Each database run happens in a child process on a scratch database (a temporary SQLite
file; a PostgreSQL database dropped and created for the run). It loads MONDO, bulk
inserts a mixed population, then times ``eligible_subjects`` against a plain indexed
SELECT of the same rows, and single ``decide`` calls. The HTTP part starts a threaded
wsgiref server on 127.0.0.1 in a child process and sends a bounded number of requests
to ``POST /api/v1/duo/match`` and to a minimal DRF endpoint in the same server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/h_gate_bench"

DS_TERMS = [
    "MONDO:0005015",
    "MONDO:0005148",
    "MONDO:0007254",
    "MONDO:0004992",
    "MONDO:0005068",
    "MONDO:0004975",
]
PURPOSES = {
    "HMB, ethics, not-for-profit, ES": {
        "category": "HMB",
        "ethics_approval": True,
        "not_for_profit": True,
        "country": "ES",
        "publication": True,
        "genetic_study": True,
    },
    "DS type 2 diabetes, ES": {
        "category": "DS",
        "diseases": ["MONDO:0005148"],
        "ethics_approval": True,
        "not_for_profit": True,
        "country": "ES",
        "genetic_study": True,
    },
}
MATCH_BODY = {
    "data_use": {
        "permission": "DUO:0000007",
        "diseases": ["MONDO:0005015"],
        "modifiers": ["DUO:0000045", "DUO:0000022", "DUO:0000021"],
        "countries": ["ES"],
    },
    "purpose": {
        "category": "DUO:0000007",
        "diseases": ["MONDO:0005148"],
        "not_for_profit": True,
        "country": "ES",
        "ethics_approval": True,
    },
}


def _setup(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(fn, repeat: int = 5) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return _median_ms(samples), result


def _populate(n: int, base) -> None:
    """Bulk insert ``n`` subjects with one consent version each (mixed terms)."""
    from datetime import date, timedelta

    from django.db import connection, transaction

    from consent.duo import modifiers_field
    from consent.models import ConsentDisease, ConsentRecord, Subject

    ops, quote = connection.ops, connection.ops.quote_name

    def prep(model, name, value):
        return model._meta.get_field(name).get_db_prep_save(value, connection)

    def insert(model, fields, rows):
        columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 20000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)

    created = ops.adapt_datetimefield_value(base)
    subject_fields = (
        "id",
        "code",
        "birth_date",
        "sex",
        "postcode",
        "ethnic_background",
        "sample_id",
        "created_at",
    )
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    def code(i):
        out = ""
        for _ in range(10):
            i, r = divmod(i, 32)
            out = alphabet[r] + out
        return "HX-" + out

    empty = prep(ConsentRecord, "diseases", [])
    json_cache: dict = {}

    def jsonv(name, value):
        key = (name, tuple(value))
        if key not in json_cache:
            json_cache[key] = prep(ConsentRecord, name, list(value))
        return json_cache[key]

    modifier_sets = [
        ((), {}),
        (("DUO:0000021",), {}),
        (("DUO:0000045",), {}),
        (("DUO:0000022",), {"countries": ("ES", "FR")}),
        (("DUO:0000025",), {"months": 24, "use_start": date(2025, 9, 1)}),
        (("DUO:0000024",), {"moratorium": date(2027, 1, 1)}),
        (("DUO:0000012",), {"restriction_text": "Cardiac outcomes only."}),
        (("DUO:0000016",), {}),
        (("DUO:0000044", "DUO:0000021"), {}),
        (("DUO:0000022",), {"countries": ("GB",)}),
    ]
    permissions = ["GRU"] * 6 + ["HMB"] * 4 + ["DS"] * 4 + ["NRES"] * 2 + ["POA"] + ["GRU"] * 3
    curie = {
        "GRU": "DUO:0000042",
        "HMB": "DUO:0000006",
        "DS": "DUO:0000007",
        "NRES": "DUO:0000004",
        "POA": "DUO:0000011",
    }
    record_fields = (
        "id",
        "subject_id",
        "version",
        "event",
        "status",
        "permission",
        "diseases",
        "modifiers",
        "countries",
        "months",
        "use_start",
        "moratorium",
        "users",
        "projects",
        "institutions",
        "restriction_text",
        "cat_genomic",
        "cat_clinical",
        "cat_demographic",
        "valid_from",
        "valid_until",
        "recorded_at",
        "recorded_via",
        "text_version",
        "text_digest",
        "receipt",
    )
    times = {d: ops.adapt_datetimefield_value(base + timedelta(days=d)) for d in range(365)}
    expired = ops.adapt_datetimefield_value(base + timedelta(days=300))

    def records():
        for i in range(1, n + 1):
            permission = permissions[i % 20]
            mods, params = modifier_sets[(i // 20) % 10]
            diseases = (DS_TERMS[i % len(DS_TERMS)],) if permission == "DS" else ()
            day = i % 365
            yield (
                i,
                i,
                1,
                "grant",
                "withdrawn" if i % 13 == 0 else "active",
                curie[permission],
                jsonv("diseases", diseases) if diseases else empty,
                modifiers_field(mods),
                jsonv("countries", params.get("countries", ())),
                params.get("months"),
                ops.adapt_datefield_value(params.get("use_start")),
                ops.adapt_datefield_value(params.get("moratorium")),
                empty,
                empty,
                empty,
                params.get("restriction_text", ""),
                i % 17 != 0,
                True,
                True,
                times[day],
                expired if i % 29 == 0 else None,
                times[day],
                "seed",
                "bench-1",
                "0" * 64,
                "",
            )

    with transaction.atomic():
        insert(
            Subject,
            subject_fields,
            ((i, code(i), None, "unknown", "", "", "", created) for i in range(1, n + 1)),
        )
        insert(ConsentRecord, record_fields, records())
        disease_rows = (
            (i, i, DS_TERMS[i % len(DS_TERMS)])
            for i in range(1, n + 1)
            if permissions[i % 20] == "DS"
        )
        insert(ConsentDisease, ("id", "consent_id", "term"), disease_rows)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {quote(Subject._meta.db_table)} SET current_consent_id = id")  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Subject, ConsentRecord, ConsentDisease):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), {n + 1})"
                )
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")


def run_database(vendor: str, n: int, pg_url: str) -> dict:
    """Child process: one database's figures, printed as JSON on the last line."""
    data_dir = tempfile.mkdtemp(prefix="helix-bench-gate-")
    if vendor == "sqlite":
        url = f"sqlite:///{data_dir}/bench.sqlite3"
    else:
        import psycopg

        name = pg_url.rsplit("/", 1)[1]
        admin = pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = pg_url
    _setup(url, data_dir)
    from datetime import UTC, datetime, timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Subquery

    from consent.models import Subject
    from governance.gate import Purpose, decide, eligible_subjects
    from governance.gate.demo import MONDO_FILE
    from governance.gate.services import ontology_load

    out: dict = {"vendor": vendor, "subjects": n}
    call_command("migrate", verbosity=0)
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
    started = time.perf_counter()
    ontology_load(path=MONDO_FILE)
    out["mondo_load_s"] = round(time.perf_counter() - started, 1)
    base = datetime(2025, 6, 1, tzinfo=UTC)
    started = time.perf_counter()
    _populate(n, base)
    out["populate_s"] = round(time.perf_counter() - started, 1)

    out["eligibility"] = []
    past = base + timedelta(days=200)
    for label, data in PURPOSES.items():
        purpose = Purpose.from_dict(data)
        now_ms, ids = _timed(
            lambda p=purpose: list(
                eligible_subjects(purpose=p, category="genomic").values_list("pk", flat=True)
            )
        )
        Subject.objects.update(sample_id="")
        Subject.objects.filter(
            pk__in=Subquery(eligible_subjects(purpose=purpose, category="genomic").values("pk"))
        ).update(sample_id="BENCH-E")
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE consent_subject")
        base_ms, base_ids = _timed(
            lambda: list(
                Subject.objects.filter(sample_id="BENCH-E")
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        )
        assert base_ids == ids, "baseline must select the same rows"
        past_ms, past_ids = _timed(
            lambda p=purpose: list(
                eligible_subjects(purpose=p, category="genomic", at=past).values_list(
                    "pk", flat=True
                )
            ),
            repeat=3,
        )
        out["eligibility"].append(
            {
                "purpose": label,
                "eligible": len(ids),
                "eligible_now_ms": round(now_ms, 1),
                "baseline_ms": round(base_ms, 1),
                "ratio": round(now_ms / base_ms, 2),
                "eligible_past_ms": round(past_ms, 1),
                "eligible_past": len(past_ids),
            }
        )

    purpose = Purpose.from_dict(PURPOSES["DS type 2 diabetes, ES"])
    subjects = list(Subject.objects.filter(pk__in=range(1, n + 1, max(1, n // 1000))))
    for audit in (False, True):
        samples = []
        for subject in subjects:
            started = time.perf_counter()
            decide(
                subject=subject,
                purpose=purpose,
                purpose_id="bench:1",
                category="genomic",
                audit=audit,
            )
            samples.append(time.perf_counter() - started)
        samples.sort()
        key = "decide_audited" if audit else "decide"
        out[key] = {
            "calls": len(samples),
            "median_ms": round(_median_ms(samples), 2),
            "p99_ms": round(samples[int(len(samples) * 0.99) - 1] * 1000, 2),
        }
    out["database_url"] = url if vendor == "sqlite" else "postgres (scratch)"
    out["data_dir"] = data_dir
    return out


# --- HTTP: the match endpoint against a minimal DRF endpoint in the same server ---------


def _bench_urls():
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class PingApi(APIView):
        """The minimal DRF endpoint: same authentication and throttling, no work."""

        def post(self, request):
            return Response({"ok": True})

    return [
        path("api/v1/", include(("config.api_urls", "api"))),
        path("bench/ping", PingApi.as_view()),
    ]


def serve(port: int, data_dir: str, url: str) -> None:
    _setup(url, data_dir)
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    module = sys.modules[__name__]
    module.urlpatterns = _bench_urls()
    settings.ROOT_URLCONF = __name__

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 64

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=Server, handler_class=Quiet
    )
    print("ready", flush=True)
    httpd.timeout = 1
    deadline = time.monotonic() + 600  # the server stops by itself
    while time.monotonic() < deadline:
        httpd.handle_request()


def run_http(requests_per_endpoint: int, threads: int) -> dict:
    import http.client
    import socket

    data_dir = tempfile.mkdtemp(prefix="helix-bench-http-")
    url = f"sqlite:///{data_dir}/http.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    token = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup();"
                "from django.contrib.auth.models import User; from governance.auth.tokens import api_token_issue;"
                "print(api_token_issue(user=User.objects.create_user('bench', password='bench-password-1')))",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--data-dir", data_dir, "--url", url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def one(path: str, body: bytes) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                return response.status
            finally:
                conn.close()

        def load(path: str, body: dict, count: int) -> float:
            payload = json.dumps(body).encode()
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                statuses = list(pool.map(lambda _: one(path, payload), range(count)))
            elapsed = time.perf_counter() - started
            assert set(statuses) == {200}, sorted(set(statuses))
            return count / elapsed

        load("/bench/ping", {}, 100)  # warm up both
        load("/api/v1/duo/match", MATCH_BODY, 100)
        ping = [load("/bench/ping", {}, requests_per_endpoint) for _ in range(2)]
        matched = [load("/api/v1/duo/match", MATCH_BODY, requests_per_endpoint) for _ in range(2)]
        return {
            "requests": requests_per_endpoint * 2,
            "threads": threads,
            "ping_rps": round(max(ping), 1),
            "match_rps": round(max(matched), 1),
            "ratio": round(max(matched) / max(ping), 2),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def _drop_database(pg_url: str) -> None:
    import psycopg

    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--serve", type=int)
    parser.add_argument("--data-dir")
    parser.add_argument("--url")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    if args.serve:
        serve(args.serve, args.data_dir, args.url)
        return
    if args.child:
        print(json.dumps(run_database(args.child, args.subjects, pg_url)))
        return
    vendors = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for vendor in vendors:
        result = subprocess.run(
            [sys.executable, __file__, "--child", vendor, "--subjects", str(args.subjects)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        shutil.rmtree(figures["data_dir"], ignore_errors=True)
        if vendor == "postgresql":
            _drop_database(pg_url)
        print(
            f"\n{vendor}: {figures['subjects']:,} subjects (populate {figures['populate_s']} s, MONDO load {figures['mondo_load_s']} s)"
        )
        for row in figures["eligibility"]:
            print(
                f"  eligible_subjects [{row['purpose']}]: {row['eligible']:,} rows, {row['eligible_now_ms']} ms now "
                f"vs indexed SELECT {row['baseline_ms']} ms (x{row['ratio']}); at a past instant "
                f"{row['eligible_past_ms']} ms ({row['eligible_past']:,} rows)"
            )
        for key in ("decide", "decide_audited"):
            d = figures[key]
            print(
                f"  {key}: median {d['median_ms']} ms, p99 {d['p99_ms']} ms over {d['calls']} calls"
            )
    if not args.skip_http:
        h = run_http(args.requests, args.threads)
        print(
            f"\nHTTP (wsgiref threaded, {h['threads']} client threads, {h['requests']} requests each): "
            f"/api/v1/duo/match {h['match_rps']} req/s vs minimal DRF endpoint {h['ping_rps']} req/s (x{h['ratio']})"
        )


if __name__ == "__main__":
    main()
