"""The results dashboard at full size (issue 9): 650 offices and 1,000,000
stored responses on PostgreSQL.

    python benchmarks/dashboard.py [--responses 1000000] [--previous 200000]
        [--postgres postgresql://root@127.0.0.1:5432/test] [--requests 60]

It creates a database of its own (dropped at the end), builds the schema
with the migrations, stores the offices (50 parent offices with 12
sub-offices each), their populations, a previous campaign whose results
are computed first, and the campaign measured, with N responses copied in
bulk. Then it prints:

- the full refresh time: read every stored response, score, compare with
  the previous campaign, store the results document (median of 3);
- server time of the overview and of office pages served from the stored
  results (p50 and p95 over --requests requests each, signed in as an
  inspector, through the Flask application in this process);
- the overview's first-view transfer size: the page and every asset it
  loads (stylesheets, scripts, icon), each gzip-compressed as a web server
  would send it.

Targets: refresh at most 6 s; p95 at most 300 ms; first view at most 500 KB.
The last line is one JSON object with refresh_s, overview_p95_ms,
unit_p95_ms and first_view_kb.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_responses  # noqa: E402

import analysis  # noqa: E402
from survey import create_app  # noqa: E402
from survey.database import make_engine, normalise_url, upgrade  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.services import results, staff  # noqa: E402

UNITS = load_responses.UNITS
PARENTS = 50
PASSWORD = secrets.token_urlsafe(12)  # a throw-away account in a throw-away database
TARGETS = {"refresh_s": 6.0, "overview_p95_ms": 300.0, "unit_p95_ms": 300.0,
           "first_view_kb": 500.0}


def instrument_text() -> str:
    """The loader benchmark's instrument (35 scored questions per group) with
    the published SPI bands, so pages look as they will."""
    return load_responses.instrument_text().replace(
        "bands: [{key: low, min: 0}]",
        "bands: [{key: rentan, min: 0}, {key: waspada, min: 73}, {key: terjaga, min: 78}]")


def prepare(url: str, n: int, previous: int, rng: np.random.Generator) -> tuple[int, int]:
    """Offices, populations, two campaigns and their responses; returns
    (previous campaign id, measured campaign id)."""
    engine = make_engine(url)
    upgrade(engine)
    content = instrument_text()
    instrument = analysis.parse_instrument(content)
    with engine.begin() as connection:
        institution = connection.execute(text(
            "INSERT INTO institution (code, name) VALUES ('BENCH', 'Kota Bench') RETURNING id")
        ).scalar()
        parent_ids = [connection.execute(text(
            "INSERT INTO unit (institution_id, code, name, active) VALUES (:i, :c, :n, true) "
            "RETURNING id"), {"i": institution, "c": f"P{p:02d}", "n": f"Dinas Contoh {p:02d}"}
        ).scalar() for p in range(PARENTS)]
        connection.execute(text(
            "INSERT INTO unit (institution_id, parent_id, code, name, active) "
            "VALUES (:i, :p, :c, :n, true)"),
            [{"i": institution, "p": parent_ids[u % PARENTS], "c": f"U{u:03d}",
              "n": f"Unit Pelayanan Contoh Nomor {u:03d}"} for u in range(UNITS - PARENTS)])
        unit_ids = [row[0] for row in connection.execute(text("SELECT id FROM unit ORDER BY id"))]
        connection.execute(text(
            "INSERT INTO unit_population (unit_id, respondent_group, population) "
            "VALUES (:u, :g, :n)"),
            [{"u": u, "g": g, "n": int(rng.integers(3000, 40000)) if g != "internal" else
              int(rng.integers(2500, 6000))} for u in unit_ids for g in ("internal", "external")])
        version = connection.execute(text(
            "INSERT INTO instrument_version (instrument_key, version, content, format, checksum,"
            " created_at) VALUES ('bench', '1', :c, 'yaml', :k, CURRENT_TIMESTAMP) RETURNING id"),
            {"c": content, "k": instrument.checksum}).scalar()
        campaigns = [connection.execute(text(
            "INSERT INTO campaign (institution_id, name, period, target, opens_on, closes_on,"
            " status, instrument_version_id, created_at) VALUES (:i, :name, :p, 72,"
            " :o, :c, :s, :v, CURRENT_TIMESTAMP) RETURNING id"),
            {"i": institution, "name": f"SPI Kota Bench {year}", "p": str(year),
             "o": date(year, 1, 1), "c": date(year, 12, 1), "s": status, "v": version}).scalar()
            for year, status in ((2025, "closed"), (2026, "open"))]
    raw = engine.raw_connection()
    try:
        for campaign, size in zip(campaigns, (previous, n), strict=True):
            started = time.perf_counter()
            _copy(raw, campaign, version, unit_ids, size, rng)
            print(f"  stored {size:,} responses of campaign {campaign} in "
                  f"{time.perf_counter() - started:.1f} s (setup)")
        with raw.cursor() as cursor:
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return campaigns[0], campaigns[1]


def _copy(raw, campaign, version, unit_ids, n, rng) -> None:
    groups = load_responses.GROUPS
    sizes = load_responses.unit_sizes(n, rng)
    unit_column = np.repeat(np.array(unit_ids), sizes)
    n = unit_column.size  # at least 30 per office, whatever was asked
    group_column = rng.choice(len(groups), size=n, p=[p for _, p in groups])
    # Offices differ: each leans to its own level, so indices spread as in the SPI.
    lean = rng.normal(0, 0.6, size=max(unit_ids) + 1)
    base = rng.integers(1, 5, size=(n, load_responses.QUESTIONS_PER_GROUP))
    shift = np.rint(lean[unit_column] + rng.normal(0.7, 0.4, size=n)).astype(int)[:, None]
    cells = np.clip(base + shift, 1, 4).astype(np.int32)
    cells[rng.random(cells.shape) < 0.03] = 5  # don't know
    cells[rng.random(cells.shape) < 0.02] = 0  # blank
    durations = rng.integers(200, 1500, size=n)
    documents = [json.dumps({f"Q{i:02d}": "3" for i in range(30)})] * 1000
    with raw.cursor() as cursor, cursor.copy(
            "COPY response (id, campaign_id, unit_id, respondent_group, instrument_version_id,"
            " answers, cells, duration_s, channel, submitted_on) FROM STDIN") as copy:
        for r in range(n):
            copy.write_row((secrets.token_hex(16), campaign, int(unit_column[r]),
                            groups[group_column[r]][0], version, documents[r % 1000],
                            cells[r].astype("<i4").tobytes(), int(durations[r]), "invited",
                            date(2026, 3, 1)))
    raw.commit()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def first_view_kb(client, url: str) -> tuple[float, dict[str, int]]:
    """The page and every asset it references, each gzip-compressed."""
    page = client.get(url)
    sizes = {url: len(gzip.compress(page.get_data(), 6))}
    body = page.get_data(as_text=True)
    for asset in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', body))):
        with client.get(asset) as response:
            assert response.status_code == 200, asset
            sizes[asset.split("?")[0]] = len(gzip.compress(response.get_data(), 6))
    return sum(sizes.values()) / 1000, sizes


def measure(url: str, args) -> dict[str, float]:
    rng = np.random.default_rng(args.seed)
    previous, campaign = prepare(url, args.responses, args.previous, rng)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "INSTANCE_PATH": folder,
                          "JOB_RUNNER": "external", "RATE_LIMITS": False})
        with app.app_context():
            session = db.session
            results.refresh(session, previous)
            times = []
            for _ in range(3):
                started = time.perf_counter()
                row = results.refresh(session, campaign)
                times.append(time.perf_counter() - started)
            refresh_s = statistics.median(times)
            print(f"  full refresh (read {row.responses:,} responses, score, compare, store "
                  f"{len(row.payload) / 1000:,.0f} KB): median {refresh_s:.2f} s of 3 "
                  f"({', '.join(f'{t:.2f}' for t in times)})")
            staff.create_user(session, email="inspektur@bench.example", name="Inspektur",
                              role="inspector", password=PASSWORD)
            units = [u for (u,) in session.execute(text("SELECT id FROM unit ORDER BY id"))]
        client = app.test_client()
        login = client.get("/staff/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        assert client.post("/staff/login", data={"email": "inspektur@bench.example",
                                                 "password": PASSWORD,
                                                 "csrf_token": token}).status_code == 303
        overview_url = f"/staff/campaigns/{campaign}/results"
        client.get(overview_url)  # the first request decodes the stored document once
        timings: dict[str, list[float]] = {"overview": [], "unit": []}
        for i in range(args.requests):
            for kind, target in (("overview", overview_url),
                                 ("unit", f"/staff/campaigns/{campaign}/units/"
                                          f"{units[(i * 37) % len(units)]}")):
                started = time.perf_counter()
                response = client.get(target)
                timings[kind].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (target, response.status_code)
                assert b"95%" in response.get_data(), target
        view_kb, parts = first_view_kb(client, overview_url)
    figures = {"refresh_s": round(refresh_s, 3)}
    for kind in ("overview", "unit"):
        p50, p95 = percentile(timings[kind], 50), percentile(timings[kind], 95)
        print(f"  {kind} page from the stored results: p50 {p50:.0f} ms, p95 {p95:.0f} ms "
              f"({args.requests} requests)")
        figures[f"{kind}_p95_ms"] = round(p95, 1)
    print(f"  overview first view: {view_kb:.0f} KB gzip "
          f"({', '.join(f'{k} {v / 1000:.0f} KB' for k, v in parts.items())})")
    figures["first_view_kb"] = round(view_kb, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--previous", type=int, default=200_000,
                        help="responses of the previous campaign compared with")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test",
                        help="server to use (a database of its own is created and dropped)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    name = f"bench_i9_{secrets.token_hex(3)}"
    admin = make_engine(args.postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(args.postgres)).set(database=name).render_as_string(
        hide_password=False)
    try:
        print(f"PostgreSQL, {UNITS} offices, {args.responses:,} responses")
        figures = measure(url, args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    print()
    for key, limit in TARGETS.items():
        verdict = "PASS" if figures[key] <= limit else "FAIL"
        print(f"{key:<16} {figures[key]:>10,.2f}  (target at most {limit:g})  {verdict}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
