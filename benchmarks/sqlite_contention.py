"""SQLite, the embedded default (issue 11): do respondents keep getting
answers while a campaign of 100,000 responses is scored?

    python benchmarks/sqlite_contention.py [--responses 100000] [--respondents 60]
        [--concurrency 4] [--workers 2]

It builds a SQLite database in a temporary folder with the migrations,
stores --responses responses of a campaign over 650 offices (the
instrument of benchmarks/load_responses.py), and opens a second campaign on
the standard instrument with personal and open links. The platform runs
under gunicorn on that file. Simulated respondents answer every page but
the last; then, while another process scores the big campaign again and
again (what `survey worker` does after new responses: read every response,
score, store the results document), they all send, --concurrency at a time.

It prints how long one scoring takes, how many ran while respondents sent,
and the latency of the sends (p50/p95/p99/max), each send being the whole
final POST: validate, claim the link, store the response in the pool, mix
it. Target: submit p99 at most 500 ms. The last line is one JSON object
with submit_p99_ms (and the other figures).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet  # noqa: E402
import load_responses  # noqa: E402

TARGET_MS = 500.0


def score_loop(url: str, campaign_id: int, until: float) -> None:
    """Score the campaign again and again until the epoch time ``until``;
    prints one line per refresh (its seconds)."""
    from survey import create_app
    from survey.extensions import db
    from survey.services import results

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": fleet.SECRET_KEY,
                      "JOB_RUNNER": "external", "INSTANCE_PATH": fleet.instance_folder()})
    with app.app_context():
        print("scoring", flush=True)
        while time.time() < until:
            started = time.perf_counter()
            results.refresh(db.session, campaign_id)
            db.session.close()
            print(f"{time.perf_counter() - started:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--respondents", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--pause", type=float, default=0.5,
                        help="mean seconds between one sender's sends")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--score-loop", nargs=3, metavar=("URL", "CAMPAIGN", "UNTIL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.score_loop:
        url, campaign_id, until = args.score_loop
        score_loop(url, int(campaign_id), float(until))
        return

    with tempfile.TemporaryDirectory(prefix="survey-sqlite-") as folder:
        url = f"sqlite:///{Path(folder) / 'survey.db'}"
        rng = np.random.default_rng(args.seed)
        big, _, _ = load_responses.prepare(url, args.responses, rng)
        campaign = fleet.prepare(url, invited=args.respondents, offices=5)
        # One scoring alone, for reference.
        started = time.perf_counter()
        probe = subprocess.run(  # noqa: S603 (this script)
            [sys.executable, __file__, "--score-loop", url, str(big), str(time.time() + 0.1)],
            capture_output=True, text=True, check=True)
        timed = probe.stdout.split()[1:]   # after the "scoring" line
        single = float(timed[0]) if timed else time.perf_counter() - started
        port = fleet.free_port()
        with fleet.gunicorn(url, workers=args.workers, port=port):
            rng_people = random.Random(args.seed)
            people = []
            for number in range(args.respondents):
                if number % 3 == 2:
                    path = f"/o/{campaign.open_codes[number % len(campaign.open_codes)]}"
                    group = "external"
                else:
                    path, group = f"/r/{campaign.tokens[number]}", "internal"
                people.append(fleet.Respondent(port, path, campaign.instrument, group,
                                               random.Random(rng_people.random()),
                                               marker=f"respondent-{number:06d}"))
            ready = _in_parallel(people, args.concurrency, lambda p: p.answer_until_send())
            # Scoring starts; the sends follow once it is under way.
            until = time.time() + 3600
            scorer = subprocess.Popen(  # noqa: S603 (this script)
                [sys.executable, __file__, "--score-loop", url, str(big), str(until)],
                stdout=subprocess.PIPE, text=True)
            assert scorer.stdout.readline().strip() == "scoring"
            time.sleep(0.5)
            pace = random.Random(args.seed)
            sends: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()

            def send(index: int) -> None:
                # People arrive spread out, not in one burst: the sends span
                # several scorings.
                time.sleep(pace.uniform(0, 2 * args.pause))
                person = people[index]
                target, fields = ready[index]
                began = time.perf_counter()
                try:
                    _, headers, _ = person.submit_page(target, fields)
                    elapsed = time.perf_counter() - began
                    person.finish(urlsplit(headers["location"]).path)
                    with lock:
                        sends.append(elapsed)
                except fleet.Failure as failure:
                    with lock:
                        errors.append(str(failure))

            sending_started = time.perf_counter()
            _in_parallel(list(range(len(people))), args.concurrency, send)
            sending_s = time.perf_counter() - sending_started
            scorer.terminate()
            out, _ = scorer.communicate(timeout=120)
        refreshes = [float(x) for x in out.split()]
        if len(refreshes) < 2:
            print("warning: fewer than two scorings overlapped the sends; raise --respondents")

    latencies = np.array(sends) * 1000 if sends else np.array([float("nan")])
    p50, p95, p99 = (float(np.percentile(latencies, q)) for q in (50, 95, 99))
    print(f"SQLite, {args.responses:,} responses scored while {len(people)} respondents send, "
          f"{args.concurrency} at a time (gunicorn {args.workers} sync workers)")
    print(f"  one scoring of the big campaign       {single:.2f} s")
    print(f"  scorings during the sends             {len(refreshes)} finished "
          f"(median {np.median(refreshes) if refreshes else float('nan'):.2f} s) "
          f"in {sending_s:.1f} s of sending")
    print(f"  sends                                 {len(sends)}, errors {len(errors)} "
          f"{errors[:3]}")
    print(f"  send latency                          p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
          f"p99 {p99:.0f} ms, max {latencies.max():.0f} ms")
    verdict = "PASS" if p99 <= TARGET_MS and not errors else "FAIL"
    print(f"\nsubmit_p99_ms {p99:.1f} (target at most {TARGET_MS:g}, no errors)  {verdict}")
    print(json.dumps({"submit_p99_ms": round(p99, 1), "submit_p50_ms": round(p50, 1),
                      "submit_p95_ms": round(p95, 1), "sends": len(sends),
                      "errors": len(errors), "scoring_s": round(single, 2),
                      "scorings_during": len(refreshes)}))


def _in_parallel(items: list, concurrency: int, work) -> list:
    """``work(item)`` for every item, ``concurrency`` at a time; results in order."""
    results: list = [None] * len(items)
    queue = iter(range(len(items)))
    lock = threading.Lock()

    def run() -> None:
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                return
            results[index] = work(items[index])

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


if __name__ == "__main__":
    main()
