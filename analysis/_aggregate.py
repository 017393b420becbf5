"""The index of a set of units taken together: the institution's index.

An institution (a city, a ministry) is reported as the mean of its units'
published indices, every unit counting once, as KPK's national index
averages its institutions. Units are independent samples (their strata do
not overlap), so

.. math::

    \\bar F = \\frac{1}{m} \\sum_u F_u, \\quad
    SE = \\frac{1}{m} \\sqrt{\\sum_u SE_u^2}, \\quad
    \\nu = \\frac{(\\sum_u SE_u^2)^2}{\\sum_u SE_u^4 / \\nu_u}

(Welch–Satterthwaite degrees of freedom, as in :mod:`analysis._compare`),
and the interval is :math:`\\bar F \\pm t_{0.975,\\nu} SE` clipped to
[0, 100]. Corrections are included, since each F_u already carries its own.
Units without an index (status ``insufficient``) are left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scipy import stats

from ._results import ScoreResult

__all__ = ["UnitsMean", "mean_index"]


@dataclass(frozen=True)
class UnitsMean:
    """The mean index of several units.

    Attributes
    ----------
    units : int
        Units with an index that enter the mean (m).
    without_index : int
        Units asked for that have no index (left out).
    index : float or None
        The mean of the units' published indices F_u; None when m = 0.
    se : float or None
        sqrt(Σ SE_u²) / m; None when a unit has no SE.
    df : float or None
        Welch–Satterthwaite degrees of freedom.
    ci_low, ci_high : float or None
        index ∓ t(0.975, df) · se, clipped to [0, 100].
    band : str or None
        Not set here: the caller asks its instrument (``band_for``).
    status : str
        ``above`` (ci_low > T), ``below`` (ci_high < T), ``uncertain`` or
        ``insufficient`` (m = 0).
    n : int
        Included respondents over those units.
    """

    units: int
    without_index: int
    index: float | None
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    status: str
    n: int

    def to_dict(self) -> dict[str, Any]:
        """Every attribute as a JSON object."""
        return {"units": self.units, "without_index": self.without_index,
                "index": self.index, "se": self.se, "df": self.df, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "status": self.status, "n": self.n}


def mean_index(result: ScoreResult, units: Iterable[str] | None = None) -> UnitsMean:
    """The mean index of ``units`` (every unit of ``result`` by default),
    compared with the result's target.

    Examples
    --------
    Two units at 70 (SE 2, df 50) and 80 (SE 1, df 40) give 75 with
    SE = sqrt(4 + 1) / 2 ≈ 1.118.
    """
    wanted = None if units is None else set(units)
    chosen = [u for u in result.units if wanted is None or u.unit in wanted]
    scored = [u for u in chosen if u.index is not None]
    n = sum(u.n for u in chosen)
    if not scored:
        return UnitsMean(0, len(chosen), None, None, None, None, None, "insufficient", n)
    m = len(scored)
    index = sum(u.index for u in scored) / m
    se = df = low = high = None
    status = "uncertain"
    if all(u.se is not None and u.df for u in scored):
        variance = sum(u.se ** 2 for u in scored)
        se = math.sqrt(variance) / m
        if variance > 1e-18:
            df = variance ** 2 / sum(u.se ** 4 / u.df for u in scored if u.se > 0)
            half = float(stats.t.ppf(0.975, df)) * se
        else:
            df, half = float(sum(u.df for u in scored)), 0.0
        low, high = max(0.0, index - half), min(100.0, index + half)
        if low > result.target:
            status = "above"
        elif high < result.target:
            status = "below"
    return UnitsMean(m, len(chosen) - m, index, se, df, low, high, status, n)
