"""Write the synthetic data set that survey_reference.R scores.

    .venv/bin/python tests/analysis/references/make_reference_data.py [OUT_DIR]

Deterministic (a fixed seed, no clock): running it again writes the same
bytes, which ``test_reference_data_is_reproducible`` checks. The data set
has four units x three groups with unequal sizes (the expert group of
unit B-02 below its min_n), respondent weights, blank and don't-know cells
(so some respondents lack whole dimensions), question weights, dimension
weights, a reverse-keyed and a yes/no question, and population sizes for
some strata only. Screening is switched off in its instrument, so that the
R script needs to implement only the estimates.

Files: reference_instrument.yaml, reference_responses.csv,
reference_populations.csv, and two tables the R script reads instead of
the YAML: reference_key.csv (question, group, dimension, question weight,
option code, score) and reference_groups.csv (group, weight, min_n,
dimension, omega).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import yaml

SEED = 4_2024
UNITS = {"A-01": (30, 20, 6), "B-02": (12, 8, 2), "C-03": (25, 5, 4), "D-04": (9, 15, 3)}
GROUPS = {"internal": (0.45, 5), "external": (0.35, 5), "expert": (0.20, 3)}
DIMENSIONS = ["transparansi", "integritas", "pbj", "sdm"]
DIMENSION_WEIGHTS = {"internal": {"pbj": 1.5, "sdm": 0.5}, "external": {"transparansi": 2.0}}
LIKERT = [("1", 0.0), ("2", 25.0), ("3", 50.0), ("4", 75.0), ("5", 100.0), ("9", None)]
REVERSED = [("1", 100.0), ("2", 66.6667), ("3", 33.3333), ("4", 0.0), ("9", None)]
YES_NO = [("Y", 0.0), ("N", 100.0), ("X", None)]
# (group, dimension, question weight, options) per scored question
QUESTIONS = [
    ("internal", "transparansi", 1.0, LIKERT), ("internal", "transparansi", 1.5, LIKERT),
    ("internal", "transparansi", 1.0, YES_NO),
    ("internal", "integritas", 1.0, LIKERT), ("internal", "integritas", 2.0, REVERSED),
    ("internal", "pbj", 1.0, LIKERT), ("internal", "pbj", 0.5, LIKERT),
    ("internal", "pbj", 1.0, LIKERT),
    ("internal", "sdm", 1.0, REVERSED), ("internal", "sdm", 1.0, LIKERT),
    ("external", "transparansi", 1.0, LIKERT), ("external", "transparansi", 1.0, YES_NO),
    ("external", "integritas", 1.5, LIKERT), ("external", "integritas", 1.0, LIKERT),
    ("external", "integritas", 1.0, REVERSED),
    ("external", "sdm", 1.0, LIKERT), ("external", "sdm", 2.0, LIKERT),
    ("expert", "integritas", 1.0, LIKERT), ("expert", "integritas", 1.0, REVERSED),
    ("expert", "pbj", 1.0, LIKERT), ("expert", "pbj", 1.5, LIKERT), ("expert", "pbj", 1.0, YES_NO),
]
POPULATIONS = {("A-01", "internal"): 120, ("A-01", "external"): 400, ("B-02", "internal"): 15,
               ("C-03", "internal"): 60, ("C-03", "expert"): 9, ("D-04", "external"): 35}


def question_ids() -> list[str]:
    ids, seen = [], {}
    for group, dimension, _, _ in QUESTIONS:
        stem = f"{group[:3].upper()}_{dimension[:3].upper()}"
        seen[stem] = seen.get(stem, 0) + 1
        ids.append(f"{stem}_{seen[stem]}")
    return ids


def instrument() -> dict:
    questions = [{"id": f"{group[:3].upper()}_PROFILE", "group": group, "type": "choice",
                  "options": [{"code": "a", "score": None}, {"code": "b", "score": None}],
                  "text": {"en": "profile"}} for group in GROUPS]
    for qid, (group, dimension, weight, options) in zip(question_ids(), QUESTIONS, strict=True):
        questions.append({
            "id": qid, "group": group, "dimension": dimension, "weight": weight,
            "type": "choice", "text": {"en": qid},
            "options": [{"code": code, "score": score} for code, score in options],
        })
    return {
        "id": "reference", "version": "1", "target": 60,
        "bands": [{"key": "low", "min": 0}, {"key": "mid", "min": 55}, {"key": "high", "min": 70}],
        "groups": {g: {"weight": w, "min_n": m} for g, (w, m) in GROUPS.items()},
        "dimensions": DIMENSIONS,
        "dimension_weights": DIMENSION_WEIGHTS,
        "quality": {"min_scored_answers": None, "speeder_seconds_per_item": None,
                    "straightline_min_items": None, "coordinated_min_cluster": None},
        "questions": questions,
    }


def responses(rng: np.random.Generator) -> tuple[list[str], list[list[str]]]:
    ids = question_ids()
    header = ["response_id", "unit", "group", "duration_s", "weight"]
    header += [f"{g[:3].upper()}_PROFILE" for g in GROUPS] + ids
    rows = []
    number = 0
    for unit, sizes in UNITS.items():
        for (group, _), size in zip(GROUPS.items(), sizes, strict=True):
            mine = [j for j, q in enumerate(QUESTIONS) if q[0] == group]
            for r in range(size):
                number += 1
                leaning = rng.normal(0, 1)
                cells = [""] * len(ids)
                for j in mine:
                    options = QUESTIONS[j][3]
                    scored = [code for code, score in options if score is not None]
                    draw = rng.random()
                    # the first two respondents answer everything, so that every
                    # stratum has every dimension of its group at least twice
                    if r >= 2 and draw < 0.10:
                        continue  # blank
                    if r >= 2 and draw < 0.18:
                        cells[j] = options[-1][0]  # don't know / not applicable
                        continue
                    position = int(np.clip(round((len(scored) - 1) / 2 + leaning
                                                 + rng.normal(0, 1)), 0, len(scored) - 1))
                    cells[j] = scored[position]
                weight = f"{rng.uniform(0.4, 3.0):.2f}"
                duration = "" if rng.random() < 0.1 else str(int(rng.integers(120, 1800)))
                profile = ["" for _ in GROUPS]
                profile[list(GROUPS).index(group)] = "a" if rng.random() < 0.5 else "b"
                rows.append([f"R{number:04d}", unit, group, duration, weight, *profile, *cells])
    order = rng.permutation(len(rows))  # rows arrive in no particular order
    return header, [rows[i] for i in order]


def write(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    (out / "reference_instrument.yaml").write_text(
        yaml.safe_dump(instrument(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    header, rows = responses(rng)
    with open(out / "reference_responses.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    with open(out / "reference_populations.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["unit", "group", "population"])
        writer.writerows([unit, group, size] for (unit, group), size in POPULATIONS.items())
    with open(out / "reference_key.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["question", "group", "dimension", "qweight", "code", "score"])
        for qid, (group, dimension, weight, options) in zip(question_ids(), QUESTIONS,
                                                            strict=True):
            for code, score in options:
                writer.writerow([qid, group, dimension, weight, code,
                                 "NA" if score is None else repr(score)])
    with open(out / "reference_groups.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["group", "weight", "min_n", "dimension", "omega"])
        for group, (weight, min_n) in GROUPS.items():
            for dimension in DIMENSIONS:
                if any(q[0] == group and q[1] == dimension for q in QUESTIONS):
                    omega = DIMENSION_WEIGHTS.get(group, {}).get(dimension, 1.0)
                    writer.writerow([group, weight, min_n, dimension, omega])


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
