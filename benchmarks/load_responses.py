"""How fast stored responses are read out of the database into the scoring
engine's input (issue 4: at least 100,000 responses/s on both databases).

    python benchmarks/load_responses.py [--responses 1000000] [--repeat 3]
        [--postgres postgresql://root@127.0.0.1/test] [--no-sqlite]

It builds the real schema with the migrations, stores N responses of an
instrument with 35 scored questions per group for 650 units (58% internal,
40% external, 2% expert), each with a realistic answers document, then
times ``survey.services.scoring.load_response_table`` (median of --repeat
runs) and prints responses per second. Setup time is printed but not counted.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import make_url

import analysis
from survey.database import make_engine, normalise_url, upgrade
from survey.services.scoring import load_response_table

GROUPS = (("internal", 0.58), ("external", 0.40), ("expert", 0.02))
DIMENSIONS = ("transparansi", "integritas_tugas", "pbj", "sdm", "trading_influence",
              "anggaran", "sosialisasi")
QUESTIONS_PER_GROUP = 35
UNITS = 650


def instrument_text() -> str:
    lines = ['id: bench', 'version: "1"', "bands: [{key: low, min: 0}]",
             "groups: {internal: {weight: 0.45, min_n: 5}, external: {weight: 0.35, min_n: 5},"
             " expert: {weight: 0.2, min_n: 3}}",
             f"dimensions: [{', '.join(DIMENSIONS)}]", "questions:"]
    for group, _ in GROUPS:
        for i in range(QUESTIONS_PER_GROUP):
            lines.append(
                f"  - {{id: {group.upper()}_{i:02d}, group: {group}, "
                f"dimension: {DIMENSIONS[i % 7]}, text: {{id: t, en: t}}, options: "
                "[{code: '1', score: 0}, {code: '2', score: 33.3333}, "
                "{code: '3', score: 66.6667}, {code: '4', score: 100}, {code: '9', score: null}]}")
    return "\n".join(lines) + "\n"


def unit_sizes(n: int, rng: np.random.Generator, low: int = 30, high: int = 2500) -> np.ndarray:
    """Respondents per unit, each within [low, high] as in the SPI, summing to n
    (when n allows it)."""
    sizes = rng.integers(low, high + 1, size=UNITS).astype(float)
    for _ in range(50):  # rescale, clip, repeat until the total fits
        sizes = np.clip(sizes * (n / sizes.sum()), low, high)
    sizes = np.floor(sizes).astype(int)
    short = n - sizes.sum()
    room = np.flatnonzero(sizes < high)
    sizes[room[: max(0, short) % len(room)]] += 1
    sizes[room] += max(0, short) // len(room)
    return sizes


def prepare(url: str, n: int, rng: np.random.Generator) -> tuple[int, int, analysis.Instrument]:
    """Schema, 650 units, a campaign and ``n`` responses; returns ids."""
    engine = make_engine(url)
    upgrade(engine)
    content = instrument_text()
    instrument = analysis.parse_instrument(content)
    with engine.begin() as connection:
        institution = connection.execute(text(
            "INSERT INTO institution (code, name) VALUES ('BENCH', 'Bench') RETURNING id")).scalar()
        connection.execute(text(
            "INSERT INTO unit (institution_id, code, name, active) VALUES (:i, :c, :c, true)"),
            [{"i": institution, "c": f"U{u:03d}"} for u in range(UNITS)])
        unit_ids = [row[0] for row in connection.execute(text("SELECT id FROM unit ORDER BY id"))]
        version = connection.execute(text(
            "INSERT INTO instrument_version (instrument_key, version, content, format, checksum,"
            " created_at) VALUES ('bench', '1', :c, 'yaml', :k, CURRENT_TIMESTAMP) RETURNING id"),
            {"c": content, "k": instrument.checksum}).scalar()
        campaign = connection.execute(text(
            "INSERT INTO campaign (institution_id, name, period, target, opens_on, closes_on,"
            " status, instrument_version_id, created_at) VALUES (:i, 'Bench', '2026', 72,"
            " :d, :d, 'open', :v, CURRENT_TIMESTAMP) RETURNING id"),
            {"i": institution, "v": version, "d": date(2026, 1, 1)}).scalar()

    sizes = unit_sizes(n, rng)
    unit_column = np.repeat(np.array(unit_ids), sizes)
    group_column = rng.choice(len(GROUPS), size=n, p=[p for _, p in GROUPS])
    cells = rng.integers(1, 6, size=(n, QUESTIONS_PER_GROUP), dtype=np.int32)
    cells[rng.random(cells.shape) < 0.04] = 0
    durations = rng.integers(200, 1500, size=n)
    # A realistic answers document per row (1,000 distinct ones, reused).
    documents = []
    for k in range(1000):
        group = GROUPS[k % 3][0].upper()
        documents.append(json.dumps({f"{group}_{i:02d}": str(cells[k, i] if cells[k, i] < 5 else 9)
                                     for i in range(QUESTIONS_PER_GROUP) if cells[k, i]}))

    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        rows = ((secrets.token_hex(16), campaign, int(unit_column[r]), GROUPS[group_column[r]][0],
                 version, documents[r % 1000], cells[r].astype("<i4").tobytes(),
                 int(durations[r])) for r in range(n))
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cursor, cursor.copy(
                    "COPY response (id, campaign_id, unit_id, respondent_group,"
                    " instrument_version_id, answers, cells, duration_s, channel, submitted_on)"
                    " FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, "invited", date(2026, 3, 1)))
        else:
            raw.execute("BEGIN")
            raw.executemany(
                "INSERT INTO response (id, campaign_id, unit_id, respondent_group,"
                " instrument_version_id, answers, cells, duration_s, channel, submitted_on)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'invited', '2026-03-01')", rows)
        raw.commit()
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cursor:
                cursor.execute("ANALYZE response")
            raw.commit()
    finally:
        raw.close()
    print(f"  stored {n:,} responses in {time.perf_counter() - started:.1f} s (setup)")
    engine.dispose()
    return campaign, version, instrument


def measure(url: str, n: int, repeat: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    campaign, version, instrument = prepare(url, n, rng)
    engine = make_engine(url)
    times = []
    for _ in range(repeat):
        with engine.connect() as connection:
            started = time.perf_counter()
            table = load_response_table(connection, campaign, version, instrument)
            times.append(time.perf_counter() - started)
    engine.dispose()
    assert table.n == n, (table.n, n)
    median = statistics.median(times)
    print(f"  read {table.n:,} responses into the engine's input: median {median:.2f} s of "
          f"{repeat} runs ({', '.join(f'{t:.2f}' for t in times)})")
    print(f"  => {n / median:,.0f} responses/s (target: at least 100,000)")
    return n / median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test",
                        help="server to use (a temporary schema is created and dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    results = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite (file, WAL)")
            results["SQLite"] = measure(f"sqlite:///{Path(folder) / 'bench.db'}",
                                        args.responses, args.repeat, args.seed)
    if not args.no_postgres:
        schema = f"bench_{secrets.token_hex(3)}"
        admin = make_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(normalise_url(args.postgres)).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        try:
            print("PostgreSQL")
            results["PostgreSQL"] = measure(url, args.responses, args.repeat, args.seed)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print()
    for name, rate in results.items():
        verdict = "PASS" if rate >= 100_000 else "FAIL"
        print(f"{name:<11} {rate:>12,.0f} responses/s  {verdict}")


if __name__ == "__main__":
    main()
