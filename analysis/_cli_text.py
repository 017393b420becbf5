"""What ``python -m analysis`` writes for people: the score table, the
comparison table and the planning sentence, in Bahasa Indonesia or English.

The library stays free of Flask and Babel, so the few words the command
uses are kept here, one table per language. Numbers are written with two
decimals, half up from their shortest decimal form (methodology v1.1,
rule 10: the value people see), with the language's decimal mark.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ._compare import ALPHA, Comparison
from ._results import ScoreResult

__all__ = ["LANGUAGES", "compare_table", "number", "plan_sentence", "score_table"]

LANGUAGES = ("id", "en")

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Integrity index: instrument {instrument} {version}, target {target}",
        "summary": "{units} units, {with_index} with an index; 95% intervals; "
                   "sorted by index, highest first",
        "warning": "warning: {text}",
        "unit": "unit", "index": "index", "interval": "95% interval", "band": "band",
        "status": "status", "n": "n", "excluded": "excluded",
        "above": "above target", "below": "below target", "uncertain": "uncertain",
        "insufficient": "insufficient data",
        "below_not_bh": "* below target by its own interval, but not after the "
                        "Benjamini-Hochberg correction across units (q_below >= {alpha}): "
                        "the dashboard says \"cannot tell yet\"",
        "compare_title": "Change of the index: {previous} -> {current}",
        "compare_summary": "a change is named only when its Benjamini-Hochberg q-value "
                           "is under {alpha}",
        "previous": "previous", "current": "current", "change": "change",
        "q_value": "q",
        "increase": "increase", "decrease": "decrease", "no_clear_change": "no clear change",
        "only_previous": "only in previous", "only_current": "only in current",
        "plan": "{respondents} respondents give a 95% interval of at most "
                "+/-{margin} points",
        "plan_invite": "Invite {invitations} people to get {respondents} respondents at "
                       "a response rate of {rate}%: the 95% interval is then at most "
                       "+/-{margin} points",
        "plan_census": "Invite all {population} people: at a response rate of {rate}% "
                       "about {expected} answer, fewer than the {respondents} needed for "
                       "+/-{wanted} points",
        "plan_census_margin": "; their 95% interval is about +/-{margin} points",
        "plan_details": " (sd {sd}{population}{confidence}{deff}).",
        "population": ", population {population}",
        "confidence": ", confidence {confidence}%",
        "deff": ", design effect {deff}",
    },
    "id": {
        "title": "Indeks integritas: instrumen {instrument} {version}, target {target}",
        "summary": "{units} unit, {with_index} dengan indeks; interval 95%; "
                   "diurutkan menurut indeks, tertinggi lebih dulu",
        "warning": "peringatan: {text}",
        "unit": "unit", "index": "indeks", "interval": "interval 95%", "band": "kategori",
        "status": "status", "n": "n", "excluded": "dikecualikan",
        "above": "di atas target", "below": "di bawah target", "uncertain": "belum pasti",
        "insufficient": "data kurang",
        "below_not_bh": "* di bawah target menurut intervalnya sendiri, tetapi tidak "
                        "setelah koreksi Benjamini-Hochberg antarunit (q_below >= {alpha}): "
                        "dasbor menyebutnya \"belum dapat dipastikan\"",
        "compare_title": "Perubahan indeks: {previous} -> {current}",
        "compare_summary": "perubahan hanya disebut bila nilai q Benjamini-Hochberg-nya "
                           "di bawah {alpha}",
        "previous": "sebelumnya", "current": "sekarang", "change": "perubahan",
        "q_value": "q",
        "increase": "naik", "decrease": "turun", "no_clear_change": "tidak jelas berubah",
        "only_previous": "hanya di sebelumnya", "only_current": "hanya di sekarang",
        "plan": "{respondents} responden memberi interval 95% paling lebar "
                "+/-{margin} poin",
        "plan_invite": "Undang {invitations} orang untuk mendapat {respondents} responden "
                       "pada tingkat respons {rate}%: interval 95% paling lebar "
                       "+/-{margin} poin",
        "plan_census": "Undang seluruh {population} orang: pada tingkat respons {rate}% "
                       "sekitar {expected} menjawab, kurang dari {respondents} yang "
                       "diperlukan untuk +/-{wanted} poin",
        "plan_census_margin": "; interval 95%-nya sekitar +/-{margin} poin",
        "plan_details": " (simpangan baku {sd}{population}{confidence}{deff}).",
        "population": ", populasi {population}",
        "confidence": ", tingkat kepercayaan {confidence}%",
        "deff": ", efek desain {deff}",
    },
}


def number(value: float | None, lang: str, decimals: int = 2) -> str:
    """``value`` with ``decimals`` decimals, half up from its shortest
    decimal form, with the language's decimal mark; "-" when undefined."""
    if value is None:
        return "-"
    quantum = Decimal(1).scaleb(-decimals)
    text = f"{Decimal(repr(float(value))).quantize(quantum, ROUND_HALF_UP):f}"
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]
    return text.replace(".", ",") if lang == "id" else text


def _plain(value: float, lang: str) -> str:
    """A setting as typed: no trailing zeros (15, 0.7, 1.5)."""
    text = f"{value:g}" if value != int(value) else str(int(value))
    return text.replace(".", ",") if lang == "id" else text


def _signed(value: float | None, lang: str) -> str:
    if value is None:
        return "-"
    text = number(value, lang)
    return text if text.startswith("-") or Decimal(text.replace(",", ".")) == 0 else "+" + text


def _interval(low: float | None, high: float | None, lang: str) -> str:
    if low is None or high is None:
        return "-"
    separator = "; " if lang == "id" else ", "
    return f"[{number(low, lang)}{separator}{number(high, lang)}]"


def _layout(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines


def score_table(result: ScoreResult, lang: str) -> str:
    """One line per unit, sorted by index (highest first, units without an
    index last), under a short header with the target and the warnings."""
    words = _WORDS[lang]
    units = sorted(result.units, key=lambda u: (u.index is None, -(u.index or 0.0), u.unit))
    lines = [words["title"].format(instrument=result.instrument_id,
                                   version=result.instrument_version,
                                   target=number(result.target, lang)),
             words["summary"].format(units=len(units),
                                     with_index=sum(u.index is not None for u in units))]
    lines += [words["warning"].format(text=" ".join(w.splitlines()))
              for w in result.warnings]
    lines.append("")
    flagged = False
    rows = []
    for unit in units:
        status = words[unit.status]
        if unit.status == "below" and unit.q_below is not None and unit.q_below >= ALPHA:
            status += " *"
            flagged = True
        rows.append([unit.unit, number(unit.index, lang),
                     _interval(unit.ci_low, unit.ci_high, lang), unit.band or "-", status,
                     str(unit.n), str(unit.excluded.total)])
    header = [words[k] for k in ("unit", "index", "interval", "band", "status", "n",
                                 "excluded")]
    lines += _layout(header, rows, right={1, 5, 6})
    if flagged:
        lines += ["", words["below_not_bh"].format(alpha=number(ALPHA, lang))]
    return "\n".join(lines) + "\n"


def compare_table(comparison: Comparison, lang: str) -> str:
    """One line per unit: both indices, the change with its interval, its
    q-value and what it is called (a direction only under the BH decision)."""
    words = _WORDS[lang]

    def label(side: dict[str, str]) -> str:
        return f"{side['id']} {side['version']}"

    lines = [words["compare_title"].format(previous=label(comparison.previous),
                                           current=label(comparison.current)),
             words["compare_summary"].format(alpha=number(ALPHA, lang))]
    lines += [words["warning"].format(text=w) for w in comparison.warnings]
    lines.append("")
    rows = [[u.unit, number(u.previous_index, lang), number(u.current_index, lang),
             _signed(u.change, lang), _interval(u.ci_low, u.ci_high, lang),
             number(u.q_value, lang, 3), words[u.status]] for u in comparison.units]
    header = [words["unit"], words["previous"], words["current"], words["change"],
              words["interval"], words["q_value"], words["status"]]
    lines += _layout(header, rows, right={1, 2, 3, 5})
    return "\n".join(lines) + "\n"


def plan_sentence(plan: dict[str, Any], lang: str) -> str:
    """The plan of ``python -m analysis plan`` as one sentence."""
    words = _WORDS[lang]
    rate = plan.get("response_rate")
    margin = number(plan["margin"], lang)
    if rate is None:
        text = words["plan"].format(respondents=plan["respondents"], margin=margin)
    elif plan.get("expected") is not None:
        text = words["plan_census"].format(
            population=_plain(plan["population"], lang), rate=_plain(rate * 100, lang),
            expected=plan["expected"], respondents=plan["respondents"],
            wanted=_plain(plan["wanted_margin"], lang))
        if plan.get("expected_margin") is not None:
            text += words["plan_census_margin"].format(
                margin=number(plan["expected_margin"], lang))
    else:
        text = words["plan_invite"].format(
            invitations=plan["invitations"], respondents=plan["respondents"],
            rate=_plain(rate * 100, lang), margin=margin)
    details = words["plan_details"].format(
        sd=_plain(plan["sd"], lang),
        population="" if plan["population"] is None else words["population"].format(
            population=_plain(plan["population"], lang)),
        confidence="" if math.isclose(plan["confidence"], 0.95) else words["confidence"].format(
            confidence=_plain(plan["confidence"] * 100, lang)),
        deff="" if plan["design_effect"] == 1 else words["deff"].format(
            deff=_plain(plan["design_effect"], lang)))
    return text + details + "\n"
