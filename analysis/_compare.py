"""Change of each unit's index between two campaigns.

The two campaigns are independent samples, so the change's variance is the
sum of the two variances. The interval and p-value use Student's t with
Welch–Satterthwaite degrees of freedom built from the two results' own df:

.. math::

    \\Delta = F_2 - F_1, \\quad SE = \\sqrt{SE_1^2 + SE_2^2}, \\quad
    \\nu = \\frac{(SE_1^2 + SE_2^2)^2}{SE_1^4/\\nu_1 + SE_2^4/\\nu_2}

Why t and not the normal: each index's own interval is t-based (methodology
v1, 4.8), so a unit near the minimum group sizes (df of 10 or so) would
otherwise get a change interval narrower than its two index intervals
justify; for the large units that dominate SPI, ν is in the hundreds and t
and normal agree to the second decimal. Satterthwaite is the standard way to
combine two variances with their own df, and reduces to ν_2 when SE_1 = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ._results import ScoreResult

__all__ = ["ALPHA", "CHANGE_STATUSES", "Comparison", "UnitChange", "compare_results"]

#: False discovery rate at which a change is called an increase or decrease.
ALPHA = 0.05

#: ``increase`` / ``decrease``: the change is significant after the
#: Benjamini–Hochberg correction across the compared units (q < :data:`ALPHA`);
#: ``no_clear_change``: it is not; ``insufficient``: a campaign has no index
#: for the unit; ``only_previous`` / ``only_current``: the unit is in one
#: result only.
CHANGE_STATUSES = ("increase", "decrease", "no_clear_change", "insufficient",
                   "only_previous", "only_current")


@dataclass(frozen=True)
class UnitChange:
    """The change of one unit's index.

    Attributes
    ----------
    unit : str
    status : str
        One of :data:`CHANGE_STATUSES`: a direction only when ``q_value``
        is under :data:`ALPHA` (many units are tested at once, so an
        unadjusted p under 0.05, or an interval excluding 0, is not enough).
    previous_index, current_index : float or None
        F in each campaign (None where absent or insufficient).
    change : float or None
        current − previous.
    se : float or None
        sqrt(se_previous² + se_current²).
    df : float or None
        Welch–Satterthwaite degrees of freedom (see the module notes).
    ci_low, ci_high : float or None
        change ∓ t(0.975, df) · se (not clipped: a change may be negative).
    p_value : float or None
        Two-sided, 2 · t.sf(|change| / se, df); with se = 0, 0 when the
        change is not 0, else 1.
    q_value : float or None
        Benjamini–Hochberg adjusted p_value across the compared units.
    """

    unit: str
    status: str
    previous_index: float | None
    current_index: float | None
    change: float | None
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON object with every attribute."""
        return {"unit": self.unit, "status": self.status,
                "previous_index": self.previous_index, "current_index": self.current_index,
                "change": self.change, "se": self.se, "df": self.df,
                "ci_low": self.ci_low, "ci_high": self.ci_high,
                "p_value": self.p_value, "q_value": self.q_value}


@dataclass(frozen=True)
class Comparison:
    """Changes between two scoring results.

    Attributes
    ----------
    previous, current : dict
        ``{"id", "version"}`` of each result's instrument.
    units : tuple of UnitChange
        Every unit of either result, sorted by unit.
    warnings : tuple of str
        E.g. the two results used different instruments.
    """

    previous: dict[str, str]
    current: dict[str, str]
    units: tuple[UnitChange, ...]
    warnings: tuple[str, ...] = ()

    def unit(self, name: str) -> UnitChange:
        """The change of unit ``name`` (KeyError if absent)."""
        for unit in self.units:
            if unit.unit == name:
                return unit
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as a JSON object."""
        return {"previous": dict(self.previous), "current": dict(self.current),
                "units": [u.to_dict() for u in self.units], "warnings": list(self.warnings)}


def compare_results(previous: ScoreResult, current: ScoreResult) -> Comparison:
    """Per-unit change of the index from ``previous`` to ``current``.

    Parameters
    ----------
    previous, current : ScoreResult
        Two results (e.g. read with :meth:`ScoreResult.from_dict`).

    Returns
    -------
    Comparison
    """
    before = {u.unit: u for u in previous.units}
    after = {u.unit: u for u in current.units}
    names = sorted(set(before) | set(after))
    rows: list[dict[str, Any]] = []
    for name in names:
        old, new = before.get(name), after.get(name)
        row: dict[str, Any] = dict.fromkeys(
            ("change", "se", "df", "ci_low", "ci_high", "p_value", "q_value"))
        row.update(unit=name, previous_index=old.index if old else None,
                   current_index=new.index if new else None)
        if new is None:
            row["status"] = "only_previous"
        elif old is None:
            row["status"] = "only_current"
        elif (old.index is None or new.index is None or old.se is None or new.se is None
              or old.df is None or new.df is None or old.df < 1 or new.df < 1):
            row["status"] = "insufficient"
        else:
            row.update(_change(old.index, old.se, old.df, new.index, new.se, new.df))
        rows.append(row)

    tested = [row for row in rows if row["p_value"] is not None]
    if tested:
        q = stats.false_discovery_control(np.array([row["p_value"] for row in tested]),
                                          method="bh")
        for row, value in zip(tested, q.tolist(), strict=True):
            row["q_value"] = value
            # the Benjamini–Hochberg decision, not the unit's own interval
            if value < ALPHA and row["change"] != 0:
                row["status"] = "increase" if row["change"] > 0 else "decrease"
            else:
                row["status"] = "no_clear_change"

    warnings = []
    if (previous.instrument_id, previous.instrument_version) != \
            (current.instrument_id, current.instrument_version):
        warnings.append(
            f"the results use different instruments ({previous.instrument_id} "
            f"{previous.instrument_version} and {current.instrument_id} "
            f"{current.instrument_version}): a change may reflect the instrument as well "
            f"as the unit")
    return Comparison(
        previous={"id": previous.instrument_id, "version": previous.instrument_version},
        current={"id": current.instrument_id, "version": current.instrument_version},
        units=tuple(UnitChange(**row) for row in rows),
        warnings=tuple(warnings),
    )


def _change(old: float, old_se: float, old_df: int, new: float, new_se: float,
            new_df: int) -> dict[str, Any]:
    change = new - old
    variance = old_se**2 + new_se**2
    se = math.sqrt(variance)
    if variance > 0:
        df = variance**2 / (old_se**4 / old_df + new_se**4 / new_df)
        half = float(stats.t.ppf(0.975, df)) * se
        p_value = float(2.0 * stats.t.sf(abs(change) / se, df))
    else:
        df = float(old_df + new_df)
        half = 0.0
        p_value = 0.0 if change != 0 else 1.0
    ci_low, ci_high = change - half, change + half
    # the status is decided once the q-values of all units are known
    return {"status": "no_clear_change", "change": change, "se": se, "df": df, "ci_low": ci_low,
            "ci_high": ci_high, "p_value": p_value}
