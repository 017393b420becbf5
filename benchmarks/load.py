"""Load (issue 11): whole questionnaires through gunicorn on PostgreSQL.

    python benchmarks/load.py [--respondents 300] [--concurrency 6] [--seconds 120]
        [--rounds 5] [--ceiling-seconds 15] [--workers 3]
        [--postgres postgresql://root@127.0.0.1:5432/test]

It creates a database of its own (dropped at the end) with one open
campaign on the standard SPI instrument (27 pages for employees, 17 for
service users), starts the platform under gunicorn with rate limits off
(every simulated phone comes from 127.0.0.1), and lets simulated
respondents answer: 70% through personal links, 30% through open links,
each one opening the link, starting, loading and answering every page,
sending, and landing on the thank-you page. The run is bounded by
--respondents and --seconds.

Against the same server and with the same number of clients, it measures
a trivial endpoint (/healthz: one SELECT 1) as this machine's ceiling, in
short windows before, between and after rounds of respondents, so that
the machine's other load, which drifts during a run on a shared machine,
weighs on both figures alike. It prints completed questionnaires per
second, page requests per second, p50/p95/p99 latency, errors, the ceiling
and the ratio.

Targets: page requests per second at least 40% of the ceiling, p99 at most
250 ms, 0 errors. The last line is one JSON object with ratio, p99_ms and
errors (and the other figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet  # noqa: E402

TARGETS = {"ratio": (">=", 0.40), "p99_ms": ("<=", 250.0), "errors": ("<=", 0)}


def _interleaved(port: int, campaign: fleet.Campaign, args) -> tuple[list, float, list]:
    """The respondents in ``args.rounds`` rounds, with a ceiling window
    before each round and after the last, so that the machine's other load,
    which drifts over a run here, weighs on both figures alike. Returns the
    finished respondents, the time they took and the ceiling windows
    (requests, errors, seconds)."""
    window = args.ceiling_seconds / (args.rounds + 1)
    windows = [fleet.hammer(port, "/healthz", concurrency=args.concurrency, seconds=window)]
    done: list = []
    elapsed = 0.0
    started = 0
    tokens = list(campaign.tokens)
    per_round = -(-args.respondents // args.rounds)
    for round_number in range(args.rounds):
        count = min(per_round, args.respondents - started)
        left = args.seconds - elapsed
        if count <= 0 or left <= 0:
            break
        chunk = dataclasses.replace(campaign, tokens=tokens)
        finished, took = fleet.run_fleet(port, chunk, respondents=count,
                                         concurrency=args.concurrency, seconds=left,
                                         seed=args.seed + round_number * args.respondents)
        done += finished
        elapsed += took
        started += count
        # Personal links answered in this round are used: the next takes new ones.
        tokens = tokens[sum(1 for person, _ in finished if person.path.startswith("/r/")):]
        windows.append(fleet.hammer(port, "/healthz", concurrency=args.concurrency,
                                    seconds=window))
    return done, elapsed, windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=6,
                        help="respondents answering at the same moment")
    parser.add_argument("--seconds", type=float, default=120, help="upper bound of the run")
    parser.add_argument("--ceiling-seconds", type=float, default=15,
                        help="time spent measuring the ceiling, over all its windows")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of respondents, each between two ceiling windows")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test",
                        help="server to use (a database of its own is created and dropped)")
    parser.add_argument("--offices", type=int, default=5,
                        help="offices answered for (the pool mixes per office and group)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with fleet.scratch_database(args.postgres, "bench_load") as url:
        campaign = fleet.prepare(url, invited=args.respondents, offices=args.offices)
        port = fleet.free_port()
        with fleet.gunicorn(url, workers=args.workers, port=port):
            # Warm every worker (imports, database connections) before measuring;
            # a worker's first page (instrument, templates: ~0.1 s) stays in.
            fleet.hammer(port, "/healthz", concurrency=args.workers * 2, seconds=1)
            done, elapsed, windows = _interleaved(port, campaign, args)
        stored = fleet.counts(url)
    ceiling_ok, ceiling_errors, ceiling_s = (sum(column) for column in zip(*windows, strict=True))

    completed = sum(1 for _, outcome in done if outcome is True)
    failures = [str(outcome) for _, outcome in done if outcome is not True]
    latencies = np.array([t for person, _ in done for t in person.latencies]) * 1000
    requests = sum(person.requests for person, _ in done)
    page_rps = requests / elapsed
    ceiling = ceiling_ok / ceiling_s
    p50, p95, p99 = (float(np.percentile(latencies, q)) for q in (50, 95, 99))
    errors = len(failures) + ceiling_errors
    print(f"PostgreSQL, gunicorn {args.workers} sync workers, {args.concurrency} respondents "
          f"at a time, {len(done)} of {args.respondents} started in {elapsed:.1f} s")
    print(f"  completed questionnaires  {completed:>8}  ({completed / elapsed:.2f}/s)")
    print(f"  page requests             {requests:>8}  ({page_rps:.1f}/s)")
    print(f"  latency                   p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
          f"max {latencies.max():.0f} ms")
    print(f"  errors                    {errors:>8}  {failures[:3]}")
    print(f"  stored + waiting in pool  {stored['responses']} + {stored['pending']}, "
          f"used invitations {stored['used']}")
    rates = [ok / seconds for ok, _, seconds in windows]
    print(f"  ceiling: GET /healthz     {ceiling:.1f}/s  ({ceiling_ok} in {ceiling_s:.1f} s, "
          f"{ceiling_errors} errors; {len(windows)} windows around {len(windows) - 1} "
          f"rounds of respondents, {min(rates):.0f} to {max(rates):.0f}/s)")
    ratio = page_rps / ceiling if ceiling else 0.0
    print(f"  ratio                     {ratio:.2f}")
    figures = {"ratio": round(ratio, 3), "p99_ms": round(p99, 1), "errors": errors,
               "completed_per_s": round(completed / elapsed, 2),
               "page_rps": round(page_rps, 1), "ceiling_rps": round(ceiling, 1),
               "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "completed": completed}
    print()
    for key, (sense, limit) in TARGETS.items():
        good = figures[key] >= limit if sense == ">=" else figures[key] <= limit
        print(f"{key:<8} {figures[key]:>10}  (target {sense} {limit:g})  "
              f"{'PASS' if good else 'FAIL'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
