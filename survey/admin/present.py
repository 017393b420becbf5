"""How results are written on staff pages: numbers with two decimals as KPK
publishes them, and the words for bands, verdicts, groups and dimensions.

Registered on the staff blueprint as template filters and globals, and used
by the views to label charts, so a chart and its table say the same thing.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import Response, g
from flask_babel import gettext as _

import analysis
from survey.i18n import current_language, localized
from survey.services.dashboard import Count, Estimate

from . import bp

SMALL = "n < 5"


def two_decimals(value: float) -> Decimal:
    """Half up from the shortest decimal form: the value people see, and the
    one methodology v1.1 takes the band from (72.995 shows 73.00)."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), ROUND_HALF_UP)


@lru_cache(maxsize=8)
def _symbols_of(language: str) -> tuple[str, str]:
    return get_decimal_symbol(language), get_group_symbol(language)


def _symbols() -> tuple[str, str]:
    """The reader's decimal and grouping symbols, looked up once per request
    (a results page writes a few thousand numbers)."""
    if "number_symbols" not in g:
        g.number_symbols = _symbols_of(current_language())
    return g.number_symbols


def _localise(text: str) -> str:
    decimal, group = _symbols()
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def format_number(value: float | Decimal, decimals: int = 0) -> str:
    """A number with grouped thousands in the reader's language."""
    return _localise(f"{value:,.{decimals}f}")


@bp.app_template_filter("index2")
def index2(value: float | None) -> str:
    """An index or score with two decimals in the reader's language
    (74,21 in Indonesian, 74.21 in English); a dash when undefined."""
    if value is None:
        return "–"
    return _localise(f"{two_decimals(value):,}")


@bp.app_template_filter("signed2")
def signed2(value: float | None) -> str:
    if value is None:
        return "–"
    text = index2(abs(value))
    return f"+{text}" if two_decimals(value) > 0 else (f"−{text}" if value < 0 else text)


@bp.app_template_filter("pvalue")
def pvalue(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.001:
        return "< " + format_number(0.001, 3)
    return format_number(value, 3)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return format_number(round(value * 100)) + "%"


@bp.app_template_global()
def shown_index(value: Estimate) -> str:
    """An estimate's value, or "n < 5" when hidden."""
    return SMALL if value.hidden else index2(value.value)


@bp.app_template_global()
def shown_interval(value: Estimate) -> str:
    if value.hidden:
        return SMALL
    if value.low is None or value.high is None:
        return "–"
    return f"{index2(value.low)}–{index2(value.high)}"


@bp.app_template_global()
def shown_count(value: Count | int) -> str:
    if isinstance(value, int):
        return format_number(value)
    if value.hidden:
        return SMALL
    return format_number(value.value or 0)


@bp.app_template_global()
def verdict_name(verdict: str | None) -> str:
    return {
        "above": _("above target"),
        "below": _("below target"),
        "uncertain": _("cannot tell yet"),
        "insufficient": _("too few respondents"),
        "hidden": SMALL,
    }.get(verdict or "", "–")


@bp.app_template_global()
def change_name(verdict: str | None) -> str:
    return {
        "increase": _("rose"),
        "decrease": _("fell"),
        "no_clear_change": _("no clear change"),
        "insufficient": _("cannot compare"),
        "only_current": _("new this campaign"),
        "only_previous": _("not in this campaign"),
    }.get(verdict or "", "–")


@bp.app_template_global()
def rule_name(rule: str) -> str:
    return {
        "incomplete": _("too few answers"),
        "speeder": _("answered too fast"),
        "straightline": _("same answer throughout"),
        "coordinated": _("identical to several others (steered)"),
    }.get(rule, rule)


class Labels:
    """The instrument's own names for bands, groups and dimensions, in the
    reader's language."""

    def __init__(self, instrument: analysis.Instrument):
        self.instrument = instrument
        self.bands = [b.key for b in instrument.bands]

    def band(self, key: str | None) -> str:
        if key is None:
            return "–"
        for band in self.instrument.bands:
            if band.key == key:
                return localized(band.label, key.capitalize())
        return key

    def group(self, key: str) -> str:
        group = self.instrument.groups.get(key)
        return localized(group.label, key) if group else key

    def dimension(self, key: str) -> str:
        return localized(self.instrument.dimension_labels.get(key), key)


def file_slug(text: str, fallback: str) -> str:
    """A part of a download's file name from a campaign's name or an
    office's code: ASCII letters and digits joined by dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or fallback


def attachment(content: bytes, filename: str, mimetype: str) -> Response:
    """A download, never cached (``X-Content-Type-Options`` is set for every
    response in ``survey/web.py``)."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
