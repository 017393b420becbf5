"""Time the scoring engine on 1,000,000 responses and compare with bare NumPy.

    .venv/bin/python benchmarks/score_1m.py [--runs 5] [--responses 1000000]

Generates 1,000,000 responses x 35 questions for 650 units (about 58%
internal, 40% external, 2% expert; 30 to 2,500 respondents per unit; each
group has 35 scored questions, 5 in each of the 7 dimensions), builds the
:class:`analysis.ResponseTable` directly in memory, and prints:

- the full scoring time, ``analysis.score`` from the decoded table to the
  result objects (screening, estimates, SEs, intervals, reliability): the
  median of ``--runs`` runs;
- the bare NumPy baseline over the same data, in the same run, interleaved
  with the scoring runs so that both see the same machine load: for each of
  the 35 question columns of the already-decoded float score matrix,
  ``np.bincount`` of the weights and of weight x score per (unit, group)
  cell, and their quotient; nothing else. Median of as many runs;
- the ratio of the two medians;
- peak memory: the process's peak resident set size (``resource``
  ``ru_maxrss``, the whole run including data generation), and the peak of
  memory allocated during one scoring run above what was allocated before it
  (``tracemalloc``, measured in a separate run because tracing slows NumPy
  a little).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import analysis  # noqa: E402

DIMENSIONS = ["transparansi", "integritas_tugas", "pbj", "sdm", "trading_influence",
              "anggaran", "sosialisasi"]
GROUPS = {"internal": (0.45, 5, 0.58), "external": (0.35, 5, 0.40), "expert": (0.20, 3, 0.02)}
OPTIONS = [{"code": "1", "score": 0}, {"code": "2", "score": 33.3333},
           {"code": "3", "score": 66.6667}, {"code": "4", "score": 100},
           {"code": "9", "score": None}]


def make_instrument() -> analysis.Instrument:
    """Three groups x 35 scored questions, 5 per dimension, some weighted."""
    questions = []
    for group in GROUPS:
        for k, dimension in enumerate(DIMENSIONS):
            for i in range(5):
                questions.append({
                    "id": f"{group[:3].upper()}_{k}_{i}", "group": group,
                    "dimension": dimension, "type": "choice", "weight": 1.5 if i == 0 else 1,
                    "options": OPTIONS, "text": {"id": "q", "en": "q"},
                })
    document = {
        "id": "benchmark", "version": "1", "target": 72,
        "bands": [{"key": "rentan", "min": 0}, {"key": "waspada", "min": 73},
                  {"key": "terjaga", "min": 78}],
        "groups": {g: {"weight": w, "min_n": m} for g, (w, m, _) in GROUPS.items()},
        "dimensions": DIMENSIONS,
        "dimension_weights": {"internal": {"pbj": 1.5}},
        "questions": questions,
    }
    return analysis.parse_instrument(json.dumps(document), format="json")


def unit_sizes(rng: np.random.Generator, n_units: int, total: int) -> np.ndarray:
    """Respondents per unit: 30 to 2,500, summing to ``total``."""
    low, high = 30, 2_500
    sizes = np.round(low + (high - low) * rng.random(n_units) ** 0.6).astype(np.int64)
    while sizes.sum() != total:
        gap = total - sizes.sum()
        room = (sizes < high) if gap > 0 else (sizes > low)
        chosen = rng.choice(np.flatnonzero(room), size=min(abs(gap), room.sum()), replace=False)
        sizes[chosen] += np.sign(gap)
    return sizes


def make_table(instrument: analysis.Instrument, n_responses: int, n_units: int,
               seed: int = 1) -> analysis.ResponseTable:
    rng = np.random.default_rng(seed)
    sizes = unit_sizes(rng, n_units, n_responses)
    unit = np.repeat(np.arange(n_units, dtype=np.int32), sizes)
    rng.shuffle(unit)  # responses arrive in no particular unit order
    shares = np.array([share for _, _, share in GROUPS.values()])
    group_of = rng.choice(len(GROUPS), size=n_responses, p=shares)
    blocks = {}
    for g, group in enumerate(GROUPS):
        rows = np.flatnonzero(group_of == g)
        n = rows.size
        q = len(instrument.questions_of(group))
        # a respondent's leaning plus item noise gives correlated items, as
        # in real answers; 3% blanks and 4% don't know
        leaning = rng.normal(2.6, 0.7, size=(n, 1))
        answer = np.clip(np.rint(leaning + rng.normal(0, 0.8, size=(n, q))), 1, 4)
        cells = answer.astype(np.int32)
        noise = rng.random((n, q))
        cells[noise < 0.04] = 5   # code "9": don't know
        cells[noise > 0.97] = 0   # blank
        # so that every screening rule has work: 0.5% straightliners, and
        # clusters of 6 identical responses in the same unit (about 1.5%)
        cells[rng.random(n) < 0.005] = 3
        by_unit = np.argsort(unit[rows], kind="stable")
        for offset in range(1, 6):
            source, copy = by_unit[0:-6:400], by_unit[offset:n - 6 + offset:400]
            same = unit[rows][source] == unit[rows][copy]
            cells[copy[same]] = cells[source[same]]
        duration = rng.uniform(60, 1_500, size=n)
        duration[rng.random(n) < 0.05] = np.nan
        blocks[group] = analysis.GroupResponses(
            group=group, question_ids=tuple(x.id for x in instrument.questions_of(group)),
            unit=unit[rows], duration_s=duration, weight=rng.uniform(0.5, 2.0, size=n),
            cells=cells)
    return analysis.ResponseTable(units=tuple(f"U{i:04d}" for i in range(n_units)),
                                  groups=blocks)


def decoded_scores(instrument: analysis.Instrument, table: analysis.ResponseTable):
    """The already-decoded float score matrix for the baseline (not timed):
    all groups stacked, NaN for blank or don't know, with the weights and
    the (unit, group) cell of each row."""
    parts, weights, cells = [], [], []
    for g, block in enumerate(table.groups.values()):
        lookup = np.array([np.nan] + [np.nan if o["score"] is None else o["score"]
                                      for o in OPTIONS])
        parts.append(lookup[block.cells])
        weights.append(block.weight)
        cells.append(block.unit.astype(np.intp) * len(table.groups) + g)
    return np.vstack(parts), np.concatenate(weights), np.concatenate(cells)


def baseline(scores: np.ndarray, weight: np.ndarray, cell: np.ndarray, n_cells: int) -> None:
    """Per question column: bincount of w and of w x score per cell, quotient."""
    for j in range(scores.shape[1]):
        total_weight = np.bincount(cell, weight, n_cells)
        weighted = np.bincount(cell, weight * scores[:, j], n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted / total_weight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=650)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one scoring run")
    arguments = parser.parse_args()

    instrument = make_instrument()
    table = make_table(instrument, arguments.responses, arguments.units)
    scores, weight, cell = decoded_scores(instrument, table)
    n_cells = len(table.units) * len(table.groups)
    mix = {g: b.n / table.n for g, b in table.groups.items()}
    print(f"data: {table.n:,} responses x {scores.shape[1]} questions, "
          f"{len(table.units)} units, mix "
          + ", ".join(f"{g} {share:.1%}" for g, share in mix.items()))

    if arguments.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        analysis.score(table, instrument)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

    analysis.score(table, instrument)  # warm-up: imports, page faults
    baseline(scores, weight, cell, n_cells)
    score_times, baseline_times = [], []
    for _ in range(arguments.runs):
        gc.collect()
        start = time.perf_counter()
        baseline(scores, weight, cell, n_cells)
        baseline_times.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        result = analysis.score(table, instrument)
        score_times.append(time.perf_counter() - start)
        del result

    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    result = analysis.score(table, instrument)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    scoring = statistics.median(score_times)
    bare = statistics.median(baseline_times)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    excluded = {rule: sum(getattr(u.excluded, rule) for u in result.units)
                for rule in analysis.EXCLUSION_RULES}
    print(f"scored units: {len(result.units)}, of which insufficient: "
          f"{sum(u.status == 'insufficient' for u in result.units)}; excluded responses: "
          + ", ".join(f"{rule} {count:,}" for rule, count in excluded.items()))
    print(f"full scoring:    median {scoring:.3f} s over {arguments.runs} runs "
          f"({', '.join(f'{t:.3f}' for t in score_times)})")
    print(f"numpy baseline:  median {bare:.3f} s over {arguments.runs} runs "
          f"({', '.join(f'{t:.3f}' for t in baseline_times)})")
    print(f"ratio:           {scoring / bare:.2f}x baseline")
    print(f"peak memory:     {rss_mib:,.0f} MiB process peak RSS (ru_maxrss, whole run); "
          f"{(peak - before) / 2**20:,.0f} MiB allocated by one scoring run at its peak "
          f"(tracemalloc)")


if __name__ == "__main__":
    main()
