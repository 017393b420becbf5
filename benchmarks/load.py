"""Load (issue 11): whole questionnaires through gunicorn on PostgreSQL.

    python benchmarks/load.py [--respondents 300] [--concurrency 6] [--seconds 120]
        [--workers 3] [--postgres postgresql://root@127.0.0.1:5432/test]

It creates a database of its own (dropped at the end) with one open
campaign on the standard SPI instrument (27 pages for employees, 17 for
service users), starts the platform under gunicorn with rate limits off
(every simulated phone comes from 127.0.0.1), and lets simulated
respondents answer: 70% through personal links, 30% through open links,
each one opening the link, starting, loading and answering every page,
sending, and landing on the thank-you page. The run is bounded by
--respondents and --seconds.

Against the same server and with the same number of clients, it measures
a trivial endpoint (/healthz: one SELECT 1) as this machine's ceiling, half
of the time before the respondents and half after, so that a change in the
machine's other load during the run weighs on both figures alike. It
prints completed questionnaires per second, page requests per second,
p50/p95/p99 latency, errors, the ceiling and the ratio.

Targets: page requests per second at least 40% of the ceiling, p99 at most
250 ms, 0 errors. The last line is one JSON object with ratio, p99_ms and
errors (and the other figures).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet  # noqa: E402

TARGETS = {"ratio": (">=", 0.40), "p99_ms": ("<=", 250.0), "errors": ("<=", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=6,
                        help="respondents answering at the same moment")
    parser.add_argument("--seconds", type=float, default=120, help="upper bound of the run")
    parser.add_argument("--ceiling-seconds", type=float, default=10)
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
            # Warm every worker (imports, instrument parsing) before measuring.
            fleet.hammer(port, "/healthz", concurrency=args.workers * 2, seconds=1)
            # The ceiling is measured half before and half after the
            # respondents, so that a change in the machine's other load
            # during the run weighs on both figures alike.
            before = fleet.hammer(port, "/healthz", concurrency=args.concurrency,
                                  seconds=args.ceiling_seconds / 2)
            done, elapsed = fleet.run_fleet(port, campaign, respondents=args.respondents,
                                            concurrency=args.concurrency,
                                            seconds=args.seconds, seed=args.seed)
            after = fleet.hammer(port, "/healthz", concurrency=args.concurrency,
                                 seconds=args.ceiling_seconds / 2)
            ceiling_ok, ceiling_errors, ceiling_s = (a + b for a, b in
                                                     zip(before, after, strict=True))
        stored = fleet.counts(url)

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
    print(f"  ceiling: GET /healthz     {ceiling:.1f}/s  ({ceiling_ok} in {ceiling_s:.1f} s, "
          f"{ceiling_errors} errors; {before[0] / before[2]:.1f}/s before the respondents, "
          f"{after[0] / after[2]:.1f}/s after)")
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
