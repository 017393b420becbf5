"""Estimates and their linearised variances (methodology v1, section 4).

Every estimate is computed for all units at once: a stratum is (unit, group),
a group's responses are processed together, and sums per stratum are
``np.bincount`` over the unit index. Nothing loops over units or respondents
in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__: list[str] = []

#: An SE below this counts as 0 (methodology v1.1, section 5).
ZERO_SE = 1e-9


@dataclass(frozen=True)
class GroupEstimates:
    """One group's estimates for every unit (arrays indexed by unit).

    Attributes
    ----------
    n : ndarray of int64, shape (U,)
        Included respondents.
    population : ndarray of float64, shape (U,)
        N, NaN where not given.
    dimension_n : ndarray of int64, shape (K, U)
        Respondents with d_rk present, for the group's K dimensions.
    dimension_score : ndarray of float64, shape (K, U)
        D_k, NaN where no respondent has the dimension.
    dimension_variance : ndarray of float64, shape (K, U)
        Var(D_k), NaN where n < 2 or D_k is missing.
    index : ndarray of float64, shape (U,)
        G, NaN where no dimension is present.
    index_variance : ndarray of float64, shape (U,)
        Var(G), NaN where n < 2 or G is missing.
    """

    n: np.ndarray
    population: np.ndarray
    dimension_n: np.ndarray
    dimension_score: np.ndarray
    dimension_variance: np.ndarray
    index: np.ndarray
    index_variance: np.ndarray


def estimate_group(unit: np.ndarray, weight: np.ndarray, dimension_score: np.ndarray,
                   omega: np.ndarray, *, n_units: int, population: np.ndarray) -> GroupEstimates:
    """Dimension scores, group index and their variances per unit.

    Parameters
    ----------
    unit : ndarray of intp, shape (m,)
        Stratum (unit index) of each included response.
    weight : ndarray of float64, shape (m,)
        Their respondent weights v_r.
    dimension_score : ndarray of float64, shape (K, m)
        Their d_rk, NaN where missing.
    omega : ndarray of float64, shape (K,)
        Dimension weights ω_gk.
    n_units : int
    population : ndarray of float64, shape (n_units,)
        N per unit for this group, NaN where not given.

    Notes
    -----
    With V_k = Σ v_r over respondents having d_rk:

    .. math::

        D_k = \\frac{\\sum_r v_r d_{rk}}{V_k}, \\qquad
        G = \\sum_k a_k D_k, \\quad a_k = \\frac{\\omega_k}{\\sum_{j \\text{ present}} \\omega_j}

    and, with the linearised values of every included respondent of the
    stratum (z_r = 0 where r has no d_rk),

    .. math::

        z^{D_k}_r = \\frac{v_r (d_{rk} - D_k)}{V_k}, \\qquad
        z^{G}_r = \\sum_k a_k z^{D_k}_r, \\qquad
        \\widehat{\\mathrm{Var}}(\\theta) = f \\frac{n}{n-1} \\sum_r z_r^2,

    f = max(0, 1 − n/N) when N is given, else 1. This is the stratified
    with-replacement (or, with N, without-replacement) Taylor variance of R
    ``survey``'s ``svymean``/``svyratio`` with respondents as PSUs.
    """
    stratum = unit
    v = weight
    n = np.bincount(stratum, minlength=n_units).astype(np.int64)
    n_dims = dimension_score.shape[0]

    # f = max(0, 1 - n/N): a population below its respondents (a census, or a
    # stale frame) gives f = 0, not a negative variance.
    given = ~np.isnan(population)
    fraction = np.ones(n_units)
    fraction[given] = np.maximum(0.0, 1.0 - n[given] / population[given])
    factor = np.full(n_units, np.nan)
    several = n >= 2
    factor[several] = fraction[several] * n[several] / (n[several] - 1)

    total_weight = np.zeros((n_dims, n_units))
    score = np.full((n_dims, n_units), np.nan)
    count = np.zeros((n_dims, n_units), dtype=np.int64)
    present_rows = []
    for k in range(n_dims):
        d = dimension_score[k]
        present = ~np.isnan(d)
        present_rows.append(present)
        vk = np.where(present, v, 0.0)
        total_weight[k] = np.bincount(stratum, vk, n_units)
        weighted = np.bincount(stratum, vk * np.where(present, d, 0.0), n_units)
        count[k] = np.bincount(stratum[present], minlength=n_units)
        np.divide(weighted, total_weight[k], out=score[k], where=count[k] > 0)
    # a weighted mean of scores in [0, 100] is in [0, 100]; clipping only removes
    # the last-bit rounding of e.g. (v1*100 + v2*100) / (v1 + v2)
    np.clip(score, 0.0, 100.0, out=score)

    has = count > 0
    share = np.where(has, omega[:, None], 0.0)
    share_total = share.sum(axis=0)
    a = np.divide(share, share_total, out=np.zeros_like(share), where=share_total > 0)
    index = np.where(share_total > 0, (a * np.where(has, score, 0.0)).sum(axis=0), np.nan)
    np.clip(index, 0.0, 100.0, out=index)

    variance = np.full((n_dims, n_units), np.nan)
    index_z = np.zeros(stratum.size)
    safe_score = np.where(has, score, 0.0)
    inverse_weight = np.divide(1.0, total_weight, out=np.zeros_like(total_weight), where=has)
    for k in range(n_dims):
        present = present_rows[k]
        d = dimension_score[k]
        z = np.where(present, v * (d - safe_score[k, stratum]), 0.0) * inverse_weight[k, stratum]
        variance[k] = factor * np.bincount(stratum, z * z, n_units)
        index_z += a[k, stratum] * z
    variance[~has] = np.nan
    index_variance = factor * np.bincount(stratum, index_z * index_z, n_units)
    index_variance[np.isnan(index)] = np.nan
    return GroupEstimates(n, population, count, score, variance, index, index_variance)


@dataclass(frozen=True)
class UnitEstimates:
    """Unit-level figures for every unit (arrays indexed by unit).

    ``eligible`` and ``weight`` are (groups, U); the rest are (U,), NaN where
    undefined (no eligible group with a group index).
    """

    eligible: np.ndarray
    weight: np.ndarray
    raw_index: np.ndarray
    index: np.ndarray
    se: np.ndarray
    df: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    gap: np.ndarray
    p_below: np.ndarray
    q_below: np.ndarray
    dimension_score: np.ndarray
    dimension_se: np.ndarray


def combine_units(groups: list[GroupEstimates], dimension_rows: list[np.ndarray], *,
                  group_weight: np.ndarray, min_n: np.ndarray, correction: np.ndarray,
                  target: float, n_dimensions: int) -> UnitEstimates:
    """Unit index, interval, comparison with the target and unit dimensions.

    Parameters
    ----------
    groups : list of GroupEstimates
        One per instrument group, in file order.
    dimension_rows : list of ndarray of intp
        For each group, the instrument dimension index of each of its rows
        in ``GroupEstimates.dimension_*``.
    group_weight, min_n : ndarray, shape (groups,)
        W_g and the eligibility threshold.
    correction : ndarray, shape (U,)
        C, summed correction points.
    target : float
        T.
    n_dimensions : int
        Number of instrument dimensions.

    Notes
    -----
    .. math::

        I = \\sum_g b_g G_g,\\ b_g = \\frac{W_g}{\\sum_{\\text{eligible}} W},\\quad
        F = \\min(100, \\max(0, I - C)),\\quad
        \\mathrm{Var}(I) = \\sum_g b_g^2 \\mathrm{Var}(G_g),

    df = Σ (n_g − 1), CI = F ± t_{0.975, df} SE clipped to [0, 100],
    gap = F − T, p_below = t.cdf(gap / SE, df) (for SE < 1e-9: 0 when F < T,
    else 1), q_below the
    Benjamini–Hochberg adjustment over all units with a p_below, and
    DU_k = Σ W_g D_gk / Σ W over eligible groups that have D_gk, with
    Var(DU_k) = Σ (W_g / Σ W)² Var(D_gk).

    An eligible group whose index is undefined (every included respondent
    answered "don't know" throughout) has nothing to weigh: it is left out of
    b_g and df like an ineligible group.
    """
    n_units = correction.shape[0]
    n = np.stack([g.n for g in groups])
    index = np.stack([g.index for g in groups])
    index_variance = np.stack([g.index_variance for g in groups])
    eligible = n >= min_n[:, None]
    enters = eligible & ~np.isnan(index)
    w = np.where(enters, group_weight[:, None], 0.0)
    w_total = w.sum(axis=0)
    scored = w_total > 0
    b = np.divide(w, w_total, out=np.zeros_like(w), where=scored)

    raw_index = np.full(n_units, np.nan)
    raw_index[scored] = (b * np.where(enters, index, 0.0)).sum(axis=0)[scored]
    np.clip(raw_index, 0.0, 100.0, out=raw_index)  # rounding only, as for D_k
    variance = (b * b * np.where(enters, index_variance, 0.0)).sum(axis=0)
    se = np.where(scored, np.sqrt(variance), np.nan)
    df = np.where(scored, np.where(enters, n - 1, 0).sum(axis=0), 0)
    final = np.clip(raw_index - correction, 0.0, 100.0)

    t_quantile = np.full(n_units, np.nan)
    t_quantile[scored] = stats.t.ppf(0.975, df[scored])
    half = t_quantile * se
    ci_low = np.clip(final - half, 0.0, 100.0)
    ci_high = np.clip(final + half, 0.0, 100.0)

    gap = final - target
    p_below = np.full(n_units, np.nan)
    # v1.1: an SE below 1e-9 is rounding noise of identical scores and counts
    # as 0; dividing a gap of the same noise by it would give any p.
    positive = scored & (se >= ZERO_SE)
    p_below[positive] = stats.t.cdf(gap[positive] / se[positive], df[positive])
    flat = scored & (se < ZERO_SE)
    p_below[flat] = np.where(final[flat] < target, 0.0, 1.0)
    q_below = np.full(n_units, np.nan)
    tested = ~np.isnan(p_below)
    if tested.any():
        q_below[tested] = stats.false_discovery_control(p_below[tested], method="bh")

    dimension_score = np.full((n_dimensions, n_units), np.nan)
    dimension_se = np.full((n_dimensions, n_units), np.nan)
    weighted = np.zeros((n_dimensions, n_units))
    weight_sum = np.zeros((n_dimensions, n_units))
    for g, (estimates, dims) in enumerate(zip(groups, dimension_rows, strict=True)):
        if dims.size == 0:
            continue
        usable = eligible[g][None, :] & ~np.isnan(estimates.dimension_score)
        wg = np.where(usable, group_weight[g], 0.0)
        weighted[dims] += wg * np.where(usable, estimates.dimension_score, 0.0)
        weight_sum[dims] += wg
    present = weight_sum > 0
    np.divide(weighted, weight_sum, out=dimension_score, where=present)
    np.clip(dimension_score, 0.0, 100.0, out=dimension_score)
    variance_sum = np.zeros((n_dimensions, n_units))
    for g, (estimates, dims) in enumerate(zip(groups, dimension_rows, strict=True)):
        if dims.size == 0:
            continue
        usable = eligible[g][None, :] & ~np.isnan(estimates.dimension_score)
        share = np.divide(np.where(usable, group_weight[g], 0.0), weight_sum[dims],
                          out=np.zeros((dims.size, n_units)), where=weight_sum[dims] > 0)
        variance_sum[dims] += share * share * np.where(usable, estimates.dimension_variance, 0.0)
    np.sqrt(variance_sum, out=dimension_se, where=present)

    return UnitEstimates(
        eligible=eligible, weight=b, raw_index=raw_index, index=final, se=se,
        df=np.where(scored, df, -1), ci_low=ci_low, ci_high=ci_high, gap=gap,
        p_below=p_below, q_below=q_below,
        dimension_score=dimension_score, dimension_se=dimension_se,
    )
