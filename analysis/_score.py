"""``score``: the whole method of methodology v1 in one call."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._decode import screen_and_decode
from ._estimates import GroupEstimates, UnitEstimates, combine_units, estimate_group
from ._instrument import Instrument
from ._layout import GroupLayout, compile_layout
from ._results import (
    DimensionScore,
    Exclusions,
    GroupScore,
    Reliability,
    ScoreResult,
    UnitDimensionScore,
    UnitScore,
)
from ._screening import EXCLUSION_RULES, Screening
from ._table import GroupResponses, ResponseTable

__all__ = ["score", "screen_responses"]


def score(table: ResponseTable, instrument: Instrument, *,
          populations: Mapping[tuple[str, str], float] | None = None,
          corrections: Mapping[str, float] | None = None,
          target: float | None = None) -> ScoreResult:
    """Score a responses table: screening, estimates, intervals, reliability.

    Parameters
    ----------
    table : ResponseTable
        The decoded responses (from :func:`read_responses` or the database).
    instrument : Instrument
        The instrument set the responses answer.
    populations : mapping of (unit, group) to float, optional
        Population (frame) sizes N > 0 for the finite population
        correction f = max(0, 1 − n/N); strata without one use f = 1.
    corrections : mapping of unit to float, optional
        Correction points C per unit (already summed), subtracted from the
        raw index.
    target : float, optional
        The campaign target T; defaults to ``instrument.target``.

    Returns
    -------
    ScoreResult
        See :class:`ScoreResult`; ``to_dict()`` is the results JSON.

    Raises
    ------
    ValueError
        When the table does not fit the instrument (unknown group, question
        columns out of order, a cell beyond its options, a weight that is
        not a positive number, a negative duration), or a population,
        correction or target is not a finite number (a population must be
        above 0), or names an unknown group.

    Notes
    -----
    Screening excludes a response under the first of the rules incomplete,
    speeder, straightline and coordinated that flags it. For each stratum
    (unit u, group g) with n included respondents of weights v_r:

    - d_rk = Σ w_i s_ri / Σ w_i over r's scored answers in dimension k;
    - D_k = Σ v_r d_rk / V_k, V_k = Σ v_r over respondents with d_rk;
    - G = Σ_k a_k D_k, a_k = ω_gk / Σ ω over the dimensions present;
    - Var(θ) = f · n/(n−1) · Σ_r z_r², z_r the linearised values
      (v_r (d_rk − D_k) / V_k for D_k, their a_k-weighted sum for G),
      f = max(0, 1 − n/N) or 1 without N; None when n < 2.

    For each unit, over the eligible groups (n ≥ min_n): I = Σ b_g G_g,
    b_g = W_g / Σ W; F = clamp(I − C, 0, 100); Var(I) = Σ b_g² Var(G_g);
    df = Σ (n_g − 1); CI = F ± t(0.975, df) SE clipped to [0, 100];
    gap = F − T; p_below = t.cdf(gap / SE, df); q_below by
    Benjamini–Hochberg over units; status above (ci_low > T), below
    (ci_high < T) or uncertain; band = last band with min ≤ F rounded half
    up to two decimals (v1.1: the value people see).
    """
    _check_table(table, instrument)
    units = table.units
    n_units = len(units)
    position = {unit: i for i, unit in enumerate(units)}
    warnings: list[str] = []
    population = _populations(populations, instrument, position, warnings)
    correction = _corrections(corrections, position, warnings)
    goal = instrument.target if target is None else _finite(target, "target")

    estimates: list[GroupEstimates] = []
    layouts: list[GroupLayout] = []
    reasons: dict[str, np.ndarray] = {}
    excluded = np.zeros((len(EXCLUSION_RULES), n_units), dtype=np.int64)
    reliability: list[Reliability] = []
    for group in instrument.groups:
        layout = compile_layout(instrument, group)
        layouts.append(layout)
        block = table.groups.get(group) or _empty_block(layout)
        run = screen_and_decode(layout, block, instrument.quality)
        reasons[group] = run.reasons
        for code in range(1, len(EXCLUSION_RULES) + 1):
            excluded[code - 1] += np.bincount(block.unit[run.reasons == code],
                                              minlength=n_units)
        group_estimates = estimate_group(
            run.unit, run.weight, run.dimension_score, layout.omega,
            n_units=n_units, population=population[group])
        estimates.append(group_estimates)
        reliability.extend(
            run.alpha_sums.result(p, group, instrument.dimensions[k])
            for p, k in enumerate(layout.dimensions) if layout.items_per_dimension[p] >= 2)
        crowded = np.flatnonzero(group_estimates.n > population[group])
        warnings.extend(
            f"unit {units[u]} group {group}: {group_estimates.n[u]} included respondents > "
            f"population {population[group][u]:g}; finite population correction set to 0"
            for u in crowded)

    combined = combine_units(
        estimates, [layout.dimensions for layout in layouts],
        group_weight=np.array([g.weight for g in instrument.groups.values()]),
        min_n=np.array([g.min_n for g in instrument.groups.values()]),
        correction=correction, target=goal, n_dimensions=len(instrument.dimensions))
    unit_results = _unit_results(instrument, units, layouts, estimates, combined, correction,
                                 excluded, goal)
    return ScoreResult(
        instrument_id=instrument.id, instrument_version=instrument.version, target=goal,
        units=unit_results, reliability=tuple(reliability), warnings=tuple(warnings),
        screening=Screening(reasons),
    )


def screen_responses(table: ResponseTable, instrument: Instrument) -> Screening:
    """Apply the four screening rules to every response of ``table``.

    The same screening :func:`score` applies (``ScoreResult.screening``), for
    when only the exclusions are wanted, e.g. to show a unit manager which
    responses were set aside and why.

    Parameters
    ----------
    table : ResponseTable
    instrument : Instrument
        Supplies the groups' questions and the ``quality`` thresholds.

    Returns
    -------
    Screening
    """
    _check_table(table, instrument)
    reasons = {}
    for group, block in table.groups.items():
        layout = compile_layout(instrument, group)
        reasons[group] = screen_and_decode(layout, block, instrument.quality,
                                           decode=False).reasons
    return Screening(reasons)


def _check_table(table: ResponseTable, instrument: Instrument) -> None:
    units = tuple(table.units)
    if list(units) != sorted(set(units)):
        raise ValueError("table.units must be sorted and without duplicates")
    for group, block in table.groups.items():
        if group not in instrument.groups:
            raise ValueError(f"table has group {group!r}, which the instrument "
                             f"{instrument.id} {instrument.version} does not define")
        expected = tuple(q.id for q in instrument.questions_of(group))
        if tuple(block.question_ids) != expected:
            raise ValueError(f"group {group}: the table's question columns differ from the "
                             f"instrument's questions of that group (in instrument order)")
        if block.n == 0:
            continue
        if block.unit.min() < 0 or block.unit.max() >= len(units):
            raise ValueError(f"group {group}: a unit index is outside table.units")
        weight = block.weight
        if not (np.isfinite(weight).all() and (weight > 0).all()):
            raise ValueError(f"group {group}: respondent weights must be numbers above 0")
        if (block.duration_s < 0).any() or np.isinf(block.duration_s).any():
            raise ValueError(f"group {group}: durations must be blank (NaN) or at least 0")


def _empty_block(layout: GroupLayout) -> GroupResponses:
    return GroupResponses(
        group=layout.group, question_ids=layout.question_ids,
        unit=np.zeros(0, dtype=np.int32), duration_s=np.zeros(0), weight=np.zeros(0),
        cells=np.zeros((0, len(layout.question_ids)), dtype=np.int32))


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _populations(populations: Mapping[tuple[str, str], float] | None, instrument: Instrument,
                 position: Mapping[str, int], warnings: list[str]) -> dict[str, np.ndarray]:
    out = {group: np.full(len(position), np.nan) for group in instrument.groups}
    for (unit, group), size in (populations or {}).items():
        if group not in instrument.groups:
            raise ValueError(f"population of unit {unit}: unknown group {group!r}")
        number = _finite(size, f"population of unit {unit} group {group}")
        if number <= 0:
            raise ValueError(f"population of unit {unit} group {group} must be above 0, "
                             f"got {size!r}")
        if unit not in position:
            warnings.append(f"population given for unit {unit} group {group}, "
                            f"which has no responses")
            continue
        out[group][position[unit]] = number
    return out


def _corrections(corrections: Mapping[str, float] | None, position: Mapping[str, int],
                 warnings: list[str]) -> np.ndarray:
    out = np.zeros(len(position))
    for unit, points in (corrections or {}).items():
        number = _finite(points, f"correction of unit {unit}")
        if unit not in position:
            warnings.append(f"correction given for unit {unit}, which has no responses")
            continue
        out[position[unit]] = number
    return out


def _none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _unit_results(instrument: Instrument, units: tuple[str, ...], layouts: list[GroupLayout],
                  estimates: list[GroupEstimates], combined: UnitEstimates,
                  correction: np.ndarray, excluded: np.ndarray,
                  target: float) -> tuple[UnitScore, ...]:
    """Turn the per-unit arrays into result objects (one Python loop over
    units and their few groups and dimensions; no respondent is visited)."""
    dims = instrument.dimensions
    group_rows = []
    for layout, est in zip(layouts, estimates, strict=True):
        names = [dims[k] for k in layout.dimensions]
        group_rows.append((
            layout.group, names, est.n.tolist(), est.population.tolist(),
            est.index.tolist(), np.sqrt(est.index_variance).tolist(),
            est.dimension_n.T.tolist(), est.dimension_score.T.tolist(),
            np.sqrt(est.dimension_variance).T.tolist(),
        ))
    eligible = combined.eligible.T.tolist()
    unit_dimension_score = combined.dimension_score.T.tolist()
    unit_dimension_se = combined.dimension_se.T.tolist()
    excluded_rows = excluded.T.tolist()
    columns = (combined.raw_index, combined.index, combined.se, combined.ci_low,
               combined.ci_high, combined.gap, combined.p_below, combined.q_below)
    rows = list(zip(*(column.tolist() for column in columns), strict=True))
    df = combined.df.tolist()
    correction_list = correction.tolist()

    results = []
    for u, unit in enumerate(units):
        groups = {}
        for g, (key, names, n, population, index, se, dim_n, dim_score, dim_se) in \
                enumerate(group_rows):
            groups[key] = GroupScore(
                group=key, n=n[u], population=_none(population[u]),
                eligible=eligible[u][g], index=_none(index[u]), se=_none(se[u]),
                dimensions={
                    name: DimensionScore(name, dim_n[u][p], dim_score[u][p], _none(dim_se[u][p]))
                    for p, name in enumerate(names) if dim_n[u][p] > 0
                },
            )
        raw_index, final, se, ci_low, ci_high, gap, p_below, q_below = rows[u]
        sufficient = not math.isnan(raw_index)
        if not sufficient:
            status = "insufficient"
        elif ci_low > target:
            status = "above"
        elif ci_high < target:
            status = "below"
        else:
            status = "uncertain"
        dimensions = {
            name: UnitDimensionScore(name, unit_dimension_score[u][k], unit_dimension_se[u][k])
            for k, name in enumerate(dims) if not math.isnan(unit_dimension_score[u][k])
        } if sufficient else {}
        results.append(UnitScore(
            unit=unit,
            index=_none(final), raw_index=_none(raw_index), correction=correction_list[u],
            se=_none(se), df=df[u] if sufficient else None,
            ci_low=_none(ci_low), ci_high=_none(ci_high),
            band=instrument.band_for(final) if sufficient else None,
            gap=_none(gap), status=status, p_below=_none(p_below), q_below=_none(q_below),
            n=sum(row[2][u] for row in group_rows),
            excluded=Exclusions(*excluded_rows[u]),
            groups=groups, dimensions=dimensions,
        ))
    return tuple(results)
