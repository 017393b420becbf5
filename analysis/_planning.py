"""How many respondents a unit's group needs (sample-size planning).

The planner answers the distribution side's question with the engine's own
interval: for a simple random sample of n respondents out of N, a mean of
respondent scores with standard deviation σ has (methodology v1, 4.7 with
v_r = 1) variance f σ² / n, f = max(0, 1 − n/N), and the engine reports it
with a t interval on n − 1 degrees of freedom. So the half-width is

.. math::

    m(n) = t_{(1+c)/2,\\, n-1} \\sqrt{\\mathrm{deff} \\cdot f \\cdot \\sigma^2 / n}

and the respondents needed for a margin m* are the smallest n with
m(n) ≤ m*. Without the finite population correction and with the normal
quantile this is the textbook n₀ = (z σ / m*)²; with it,
n = n₀ N / (N + n₀) (Cochran 1977, 4.1), which the search starts from.
"""

from __future__ import annotations

import math

from scipy import stats

__all__ = ["margin_of_error", "required_sample_size"]


def _check(population: float | None, sd: float, confidence: float,
           design_effect: float) -> None:
    if population is not None and not (math.isfinite(population) and population >= 1):
        raise ValueError(f"population must be at least 1, or None for a very large one, "
                         f"got {population!r}")
    if not (math.isfinite(sd) and sd >= 0):
        raise ValueError(f"sd must be a number ≥ 0, got {sd!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not (math.isfinite(design_effect) and design_effect > 0):
        raise ValueError(f"design_effect must be above 0, got {design_effect!r}")


def margin_of_error(n: int, *, population: float | None = None, sd: float,
                    confidence: float = 0.95, design_effect: float = 1.0) -> float:
    """Half-width of the engine's interval for a mean of ``n`` respondents.

    Parameters
    ----------
    n : int
        Respondents, at least 2.
    population : float, optional
        N, the group's frame size in the unit; None for a very large one.
    sd : float
        σ, the standard deviation of respondent scores (0–100 points). A
        previous campaign gives it; SPI-style group indices typically have
        σ between 12 and 20 points.
    confidence : float, default 0.95
    design_effect : float, default 1
        Variance inflation from unequal respondent weights (Kish's
        1 + CV² of the weights), 1 for equal weights.

    Returns
    -------
    float
        t_{(1+c)/2, n−1} · sqrt(deff · f · σ² / n), f = max(0, 1 − n/N).
    """
    _check(population, sd, confidence, design_effect)
    if n < 2:
        raise ValueError(f"n must be at least 2 for an interval, got {n!r}")
    fraction = 1.0 if population is None else max(0.0, 1.0 - n / population)
    quantile = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    return quantile * math.sqrt(design_effect * fraction * sd * sd / n)


def required_sample_size(population: float | None, *, margin: float, sd: float,
                         confidence: float = 0.95, design_effect: float = 1.0) -> int:
    """Respondents needed so that the interval's half-width is at most ``margin``.

    Parameters
    ----------
    population : float or None
        N, the group's frame size in the unit; None for a very large one.
    margin : float
        m*, the wanted half-width in index points (e.g. 5).
    sd, confidence, design_effect
        As in :func:`margin_of_error`.

    Returns
    -------
    int
        The smallest n ≥ 2 with ``margin_of_error(n) <= margin``; at most
        ceil(N) (a census has no sampling error). Compare it with the
        group's ``min_n`` and plan for non-response by inviting
        n / response rate people.

    Examples
    --------
    >>> required_sample_size(None, margin=5, sd=15)
    38
    >>> required_sample_size(200, margin=5, sd=15)
    32
    """
    _check(population, sd, confidence, design_effect)
    if not (math.isfinite(margin) and margin > 0):
        raise ValueError(f"margin must be a number above 0, got {margin!r}")

    def enough(n: int) -> bool:
        return margin_of_error(n, population=population, sd=sd, confidence=confidence,
                               design_effect=design_effect) <= margin

    ceiling = None if population is None else max(2, math.ceil(population))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    n0 = design_effect * (z * sd / margin) ** 2
    start = n0 if population is None else n0 * population / (population + n0)
    low = max(2, math.floor(start))
    if ceiling is not None:
        low = min(low, ceiling)
    if enough(low):
        # the normal start can only underestimate, but rounding may land on it
        while low > 2 and enough(low - 1):
            low -= 1
        return low
    high = low
    while not enough(high):
        if ceiling is not None and high >= ceiling:
            return ceiling
        high = min(high * 2, ceiling) if ceiling is not None else high * 2
    # invariant: not enough(low), enough(high)
    while high - low > 1:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle
    return high
