"""``python -m analysis``: score, compare and plan from the command line.

Words for people (``--format table``, the plan's sentence) are in
:mod:`analysis._cli_text`.

Exit status 0 on success; 2 with a one-line message on standard error, and
nothing written, when an input is bad (or the output cannot be written).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._cli_text import LANGUAGES, compare_table, plan_sentence, score_table
from ._compare import Comparison, compare_results
from ._csv import InputError, read_corrections, read_populations, read_responses
from ._instrument import InstrumentError, load_instrument
from ._planning import margin_of_error, required_sample_size
from ._results import ScoreResult
from ._score import score

__all__ = ["main"]


class _Failure(Exception):
    """A bad input or output, reported as one line with exit status 2."""


def _finite_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


_FILES = """\
files (methodology v1.1, docs/methodology.md):
  instrument   YAML or JSON: groups, dimensions, questions, options and their
               scores, bands, target and screening rules (section 1)
  responses    CSV, UTF-8, header row: response_id, unit, group, duration_s,
               [weight,] then one column per question holding the option
               code, blank when not answered (section 2)
  populations  CSV: unit, group, population (the frame size N)
  corrections  CSV: unit, points, reason (several rows of a unit add up)
"""

_SCORE_EPILOG = _FILES + """
output: --format json writes the results document of section 5 (numbers
unrounded); csv one row per unit; table one line per unit for people, sorted
by index, in Bahasa Indonesia (--lang id) or English (--lang en).

example:
  python -m analysis score --instrument instrument.yaml --responses responses.csv \\
      --populations populations.csv --corrections corrections.csv \\
      --format table --lang en
"""

_COMPARE_EPILOG = """\
files: two results documents (JSON) as written by `python -m analysis score`,
the earlier campaign first. A change is called an increase or a decrease only
when its Benjamini-Hochberg q-value across the compared units is under 0.05.

example:
  python -m analysis compare 2025.json 2026.json --format table --lang id
"""

_PLAN_EPILOG = """\
No files: the standard deviation comes from an earlier campaign (group
scores usually have 12 to 20 points). Writes a sentence, or JSON with --json.

examples:
  python -m analysis plan --margin 5 --sd 15 --population 200
  python -m analysis plan --margin 5 --sd 15 --population 200 --response-rate 60% --json
"""


def _response_rate(text: str) -> float:
    """A rate as a fraction (0.6) or a percentage (60%)."""
    percent = text.strip().endswith("%")
    value = _finite_number(text.strip().rstrip("%"))
    if percent:
        value /= 100
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"not a response rate between 0 and 1 (or 1% and 100%): {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Integrity index scoring (methodology v1.1): score a responses table, "
                    "compare two results, plan how many respondents are needed.",
        epilog="example: python -m analysis score --instrument instrument.yaml "
               "--responses responses.csv --format table\n"
               "Each command has its own --help.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "score", help="score a responses table", epilog=_SCORE_EPILOG,
        description="Score a responses table with an instrument file.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--instrument", required=True, help="instrument file (YAML or JSON)")
    run.add_argument("--responses", required=True, help="responses CSV")
    run.add_argument("--populations", help="populations CSV: unit, group, population")
    run.add_argument("--corrections", help="corrections CSV: unit, points, reason")
    run.add_argument("--target", type=_finite_number,
                     help="campaign target (default: the instrument's)")
    run.add_argument("--out", help="write here instead of standard output")
    run.add_argument("--format", choices=("json", "csv", "table"), default="json",
                     help="json: the results document; csv: one row per unit; "
                          "table: one line per unit, for people")
    run.add_argument("--lang", choices=LANGUAGES, default="id",
                     help="language of --format table (default: id)")

    change = commands.add_parser(
        "compare", help="change of each unit between two results", epilog=_COMPARE_EPILOG,
        description="Change of each unit's index between two campaigns.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    change.add_argument("previous", help="results JSON of the earlier campaign")
    change.add_argument("current", help="results JSON of the later campaign")
    change.add_argument("--out", help="write here instead of standard output")
    change.add_argument("--format", choices=("json", "csv", "table"), default="json")
    change.add_argument("--lang", choices=LANGUAGES, default="id",
                        help="language of --format table (default: id)")

    plan = commands.add_parser(
        "plan", help="respondents needed for a margin of error", epilog=_PLAN_EPILOG,
        description="How many respondents a group of a unit needs so that the 95% "
                    "interval of its index is at most +/- margin points.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    plan.add_argument("--margin", type=_finite_number, required=True,
                      help="wanted half-width of the 95%% interval, in index points")
    plan.add_argument("--sd", type=_finite_number, required=True,
                      help="standard deviation of respondent scores, in points")
    plan.add_argument("--population", type=_finite_number,
                      help="frame size N of the group in the unit (omit when very large)")
    plan.add_argument("--response-rate", type=_response_rate,
                      help="expected share answering, e.g. 0.6 or 60%%: "
                           "says how many to invite")
    plan.add_argument("--confidence", type=_finite_number, default=0.95)
    plan.add_argument("--design-effect", type=_finite_number, default=1.0)
    plan.add_argument("--json", action="store_true", help="write JSON instead of a sentence")
    plan.add_argument("--lang", choices=LANGUAGES, default="id",
                      help="language of the sentence (default: id)")
    plan.add_argument("--out", help="write here instead of standard output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "score":
            text = _score(arguments)
        elif arguments.command == "compare":
            text = _compare(arguments)
        else:
            text = _plan(arguments)
        _write(text, getattr(arguments, "out", None))
    except (InputError, InstrumentError, _Failure) as error:
        # one line whatever a message quotes from the input
        print(" ".join(str(error).splitlines()), file=sys.stderr)
        return 2
    return 0


def _score(arguments: argparse.Namespace) -> str:
    instrument = load_instrument(arguments.instrument)
    table = read_responses(arguments.responses, instrument)
    populations = (read_populations(arguments.populations, instrument=instrument)
                   if arguments.populations else None)
    corrections = read_corrections(arguments.corrections) if arguments.corrections else None
    result = score(table, instrument, populations=populations, corrections=corrections,
                   target=arguments.target)
    if arguments.format == "csv":
        # the CSV has no place for warnings: they go to standard error
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return _score_csv(result, list(instrument.groups), list(instrument.dimensions))
    if arguments.format == "table":
        return score_table(result, arguments.lang)
    return result.to_json(indent=2) + "\n"


def _read_result(path: str) -> ScoreResult:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg} (line {exc.lineno}, "
                               f"column {exc.colno})") from None
    try:
        return ScoreResult.from_dict(document)
    except ValueError as exc:
        raise InputError(path, f"not a results document: {exc}") from None


def _compare(arguments: argparse.Namespace) -> str:
    comparison = compare_results(_read_result(arguments.previous),
                                 _read_result(arguments.current))
    if arguments.format == "csv":
        return _compare_csv(comparison)
    if arguments.format == "table":
        return compare_table(comparison, arguments.lang)
    return json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _plan(arguments: argparse.Namespace) -> str:
    settings = {"population": arguments.population, "sd": arguments.sd,
                "confidence": arguments.confidence, "design_effect": arguments.design_effect}
    try:
        n = required_sample_size(arguments.population, margin=arguments.margin,
                                 **{k: v for k, v in settings.items() if k != "population"})
        achieved = margin_of_error(n, **settings)
    except ValueError as exc:
        raise _Failure(f"plan: {exc}") from None
    plan: dict[str, Any] = {"respondents": n, "margin": achieved,
                            "wanted_margin": arguments.margin, **settings,
                            "response_rate": arguments.response_rate, "invitations": None,
                            "expected": None, "expected_margin": None}
    rate = arguments.response_rate
    if rate is not None:
        invitations = math.ceil(n / rate - 1e-9)
        population = arguments.population
        if population is not None and invitations > population:
            # cannot invite more people than there are: say what a census gives
            invitations = math.ceil(population)
            expected = math.floor(population * rate + 1e-9)
            plan["expected"] = expected
            if expected >= 2:
                plan["expected_margin"] = margin_of_error(expected, **settings)
        plan["invitations"] = invitations
    if arguments.json:
        return json.dumps(plan, indent=2) + "\n"
    return plan_sentence(plan, arguments.lang)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _score_csv(result: ScoreResult, groups: list[str], dimensions: list[str]) -> str:
    """One row per unit: the unit fields, exclusions, each group's n,
    population, eligibility, index and SE, and each unit dimension score."""
    header = ["unit", "index", "raw_index", "correction", "se", "df", "ci_low", "ci_high",
              "band", "gap", "status", "p_below", "q_below", "n",
              "excluded_incomplete", "excluded_speeder", "excluded_straightline",
              "excluded_coordinated"]
    for group in groups:
        header += [f"{group}_n", f"{group}_population", f"{group}_eligible",
                   f"{group}_index", f"{group}_se"]
    for dimension in dimensions:
        header += [f"{dimension}_score", f"{dimension}_se"]
    rows = []
    for unit in result.units:
        row: list[Any] = [unit.unit, unit.index, unit.raw_index, unit.correction, unit.se,
                          unit.df, unit.ci_low, unit.ci_high, unit.band, unit.gap, unit.status,
                          unit.p_below, unit.q_below, unit.n, unit.excluded.incomplete,
                          unit.excluded.speeder, unit.excluded.straightline,
                          unit.excluded.coordinated]
        for group in groups:
            g = unit.groups[group]
            row += [g.n, g.population, g.eligible, g.index, g.se]
        for dimension in dimensions:
            d = unit.dimensions.get(dimension)
            row += [d.score, d.se] if d is not None else [None, None]
        rows.append(row)
    return _table(header, rows)


def _compare_csv(comparison: Comparison) -> str:
    header = ["unit", "status", "previous_index", "current_index", "change", "se", "df",
              "ci_low", "ci_high", "p_value", "q_value"]
    rows = [[u.unit, u.status, u.previous_index, u.current_index, u.change, u.se, u.df,
             u.ci_low, u.ci_high, u.p_value, u.q_value] for u in comparison.units]
    return _table(header, rows)


def _write(text: str, out: str | None) -> None:
    """Write all of ``text`` or nothing: to a temporary file beside ``out``,
    renamed over it once complete, so a failure never leaves a partial file."""
    if out is None:
        sys.stdout.write(text)
        return
    target = Path(out)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."),
                                             prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _Failure(f"{out}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        # mkstemp makes the file private (0600); give it the usual mode
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _Failure(f"{out}: cannot write: {exc.strerror or exc}") from None
