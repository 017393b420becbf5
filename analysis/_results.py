"""The results of scoring: documented, immutable, serialisable.

Every class mirrors one object of the results JSON (methodology v1,
section 5) and ``to_dict()`` gives exactly that object: numbers unrounded,
None (JSON null) where undefined. :meth:`ScoreResult.from_dict` reads the
JSON back, so that ``python -m analysis compare`` works from stored results.

Mappings inside the results (``groups``, ``dimensions``) are plain dicts so
that a result pickles for caching; treat them as read-only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._screening import Screening

__all__ = [
    "STATUSES",
    "DimensionScore",
    "Exclusions",
    "GroupScore",
    "Reliability",
    "ScoreResult",
    "UnitDimensionScore",
    "UnitScore",
]

#: A unit's verdict against the target: ``above`` (ci_low > T), ``below``
#: (ci_high < T), ``uncertain`` (the interval contains T) or ``insufficient``
#: (no eligible group, so no index).
STATUSES = ("above", "below", "uncertain", "insufficient")


@dataclass(frozen=True)
class DimensionScore:
    """A dimension score of one group in one unit.

    Attributes
    ----------
    dimension : str
    n : int
        Included respondents with a score in the dimension (d_rk present).
    score : float
        D_k = Σ v_r d_rk / Σ v_r over those respondents, where
        d_rk = Σ w_i s_ri / Σ w_i over the respondent's scored answers in
        the dimension (w_i question weights, v_r respondent weights).
    se : float or None
        Linearised standard error (see :class:`GroupScore`); None when the
        group has fewer than 2 included respondents.
    """

    dimension: str
    n: int
    score: float
    se: float | None

    def to_dict(self) -> dict[str, Any]:
        """``{"n", "score", "se"}`` as in the results JSON."""
        return {"n": self.n, "score": self.score, "se": self.se}


@dataclass(frozen=True)
class GroupScore:
    """One respondent group in one unit (a stratum).

    Attributes
    ----------
    group : str
    n : int
        Included respondents.
    population : float or None
        N, the frame size, where given.
    eligible : bool
        n ≥ the group's ``min_n``: only eligible groups enter the unit index.
    index : float or None
        G = Σ_k a_k D_k with a_k = ω_k / Σ ω over the dimensions present
        (ω the group's dimension weights); None when no dimension is present.
    se : float or None
        SE(G) = sqrt(f · n/(n−1) · Σ_r z_r²) with
        z_r = Σ_k a_k v_r (d_rk − D_k) / V_k (terms where r has d_rk) and
        f = max(0, 1 − n/N), or 1 without N. None when n < 2.
    dimensions : dict of str to DimensionScore
        The dimensions present, in the instrument's order.
    """

    group: str
    n: int
    population: float | None
    eligible: bool
    index: float | None
    se: float | None
    dimensions: Mapping[str, DimensionScore] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The group object of the results JSON."""
        return {
            "n": self.n, "population": self.population, "eligible": self.eligible,
            "index": self.index, "se": self.se,
            "dimensions": {key: d.to_dict() for key, d in self.dimensions.items()},
        }


@dataclass(frozen=True)
class UnitDimensionScore:
    """A dimension score of a unit across its eligible groups.

    Attributes
    ----------
    dimension : str
    score : float
        DU_k = Σ_g W_g D_gk / Σ W over the eligible groups that have D_gk.
    se : float
        sqrt(Σ_g (W_g / Σ W)² Var(D_gk)): groups are independent strata.
    """

    dimension: str
    score: float
    se: float | None

    def to_dict(self) -> dict[str, Any]:
        """``{"score", "se"}`` as in the results JSON."""
        return {"score": self.score, "se": self.se}


@dataclass(frozen=True)
class Exclusions:
    """Responses of a unit excluded by screening, by the first rule that
    flagged each (so the counts add up)."""

    incomplete: int = 0
    speeder: int = 0
    straightline: int = 0
    coordinated: int = 0

    @property
    def total(self) -> int:
        """All excluded responses."""
        return self.incomplete + self.speeder + self.straightline + self.coordinated

    def to_dict(self) -> dict[str, int]:
        """The four rules, always all four."""
        return {"incomplete": self.incomplete, "speeder": self.speeder,
                "straightline": self.straightline, "coordinated": self.coordinated}


@dataclass(frozen=True)
class UnitScore:
    """The integrity index of one unit.

    Attributes
    ----------
    unit : str
    index : float or None
        F = clamp(I − C, 0, 100), the published index.
    raw_index : float or None
        I = Σ_g b_g G_g, b_g = W_g / Σ W over eligible groups.
    correction : float
        C, the sum of the unit's correction points (0 when none).
    se : float or None
        SE(I) = sqrt(Σ_g b_g² Var(G_g)); the correction is a constant.
    df : int or None
        Σ over eligible groups of (n_g − 1).
    ci_low, ci_high : float or None
        F ∓ t(0.975, df) · SE, clipped to [0, 100].
    band : str or None
        Key of the last band whose ``min`` ≤ F.
    gap : float or None
        F − T.
    status : str
        One of :data:`STATUSES`.
    p_below : float or None
        t.cdf(gap / SE, df): one-sided evidence that the unit is below target
        (0 or 1 when SE = 0).
    q_below : float or None
        Benjamini–Hochberg adjusted p_below across all units with one.
    n : int
        Included respondents over all groups.
    excluded : Exclusions
    groups : dict of str to GroupScore
        Every group of the instrument, in file order.
    dimensions : dict of str to UnitDimensionScore
        Dimensions present in an eligible group, in the instrument's order.
    """

    unit: str
    index: float | None
    raw_index: float | None
    correction: float
    se: float | None
    df: int | None
    ci_low: float | None
    ci_high: float | None
    band: str | None
    gap: float | None
    status: str
    p_below: float | None
    q_below: float | None
    n: int
    excluded: Exclusions
    groups: Mapping[str, GroupScore]
    dimensions: Mapping[str, UnitDimensionScore]

    def to_dict(self) -> dict[str, Any]:
        """The unit object of the results JSON."""
        return {
            "unit": self.unit, "index": self.index, "raw_index": self.raw_index,
            "correction": self.correction, "se": self.se, "df": self.df,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "band": self.band,
            "gap": self.gap, "status": self.status, "p_below": self.p_below,
            "q_below": self.q_below, "n": self.n, "excluded": self.excluded.to_dict(),
            "groups": {key: g.to_dict() for key, g in self.groups.items()},
            "dimensions": {key: d.to_dict() for key, d in self.dimensions.items()},
        }


@dataclass(frozen=True)
class Reliability:
    """Cronbach's alpha of one (group, dimension), pooled over all units.

    Attributes
    ----------
    group, dimension : str
    k : int
        Scored questions of the dimension in the group (k ≥ 2).
    n : int
        Included responses with a non-null score on all k questions.
    alpha : float or None
        α = k/(k−1) · (1 − Σ_i var_i / var_total), sample variances
        (ddof = 1); None when n < 3 or var_total = 0.
    ci_low, ci_high : float or None
        Feldt 95% interval: 1 − (1 − α) · F.ppf(0.975, n−1, (n−1)(k−1)) to
        1 − (1 − α) · F.ppf(0.025, n−1, (n−1)(k−1)).
    """

    group: str
    dimension: str
    k: int
    n: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None

    def to_dict(self) -> dict[str, Any]:
        """The reliability object of the results JSON."""
        return {"group": self.group, "dimension": self.dimension, "k": self.k, "n": self.n,
                "alpha": self.alpha, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True)
class ScoreResult:
    """Everything one scoring run produces.

    Attributes
    ----------
    instrument_id, instrument_version : str
        The instrument set scored against.
    target : float
        T, the target the units were compared with.
    units : tuple of UnitScore
        Every unit of the responses table, sorted by ``unit``.
    reliability : tuple of Reliability
        One per (group, dimension) with k ≥ 2: groups in file order, then
        dimensions in file order.
    warnings : tuple of str
        Things an analyst should know, such as a population smaller than
        its respondents.
    screening : Screening or None
        Per-response exclusion reasons (not part of the JSON).
    """

    instrument_id: str
    instrument_version: str
    target: float
    units: tuple[UnitScore, ...]
    reliability: tuple[Reliability, ...]
    warnings: tuple[str, ...] = ()
    screening: Screening | None = field(default=None, compare=False, repr=False)

    def unit(self, name: str) -> UnitScore:
        """The result of unit ``name`` (KeyError if absent)."""
        for unit in self.units:
            if unit.unit == name:
                return unit
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The results JSON object of methodology v1, section 5."""
        return {
            "instrument": {"id": self.instrument_id, "version": self.instrument_version},
            "target": self.target,
            "units": [u.to_dict() for u in self.units],
            "reliability": [r.to_dict() for r in self.reliability],
            "warnings": list(self.warnings),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text (never NaN: undefined is null)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> ScoreResult:
        """Read a results JSON object back.

        Raises
        ------
        ValueError
            Naming the key path of the first thing missing or malformed.
        """
        reader = _Reader()
        return reader.result(document)


class _Reader:
    """Builds a ScoreResult from JSON, naming the path of what is wrong."""

    def get(self, mapping: Any, key: str, path: str) -> Any:
        if not isinstance(mapping, Mapping):
            raise ValueError(f"{path or '(document)'}: expected an object")
        if key not in mapping:
            raise ValueError(f"{path + '.' if path else ''}{key}: missing")
        return mapping[key]

    def number(self, value: Any, path: str, *, optional: bool = True) -> float | None:
        if value is None and optional:
            return None
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value)):
            raise ValueError(f"{path}: expected a number{' or null' if optional else ''}, "
                             f"got {value!r}")
        return float(value)

    def whole(self, value: Any, path: str, *, optional: bool = False) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValueError(f"{path}: expected a whole number, got {value!r}")
        return int(value)

    def text(self, value: Any, path: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{path}: expected a text, got {value!r}")
        return value

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise ValueError(f"{path}: expected an object")
        return value

    def result(self, doc: Any) -> ScoreResult:
        instrument = self.mapping(self.get(doc, "instrument", ""), "instrument")
        units_raw = self.get(doc, "units", "")
        if not isinstance(units_raw, list):
            raise ValueError("units: expected a list")
        reliability_raw = doc.get("reliability", []) if isinstance(doc, Mapping) else []
        if not isinstance(reliability_raw, list):
            raise ValueError("reliability: expected a list")
        warnings = doc.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError("warnings: expected a list of texts")
        return ScoreResult(
            instrument_id=self.text(self.get(instrument, "id", "instrument"), "instrument.id"),
            instrument_version=self.text(self.get(instrument, "version", "instrument"),
                                         "instrument.version"),
            target=self.number(self.get(doc, "target", ""), "target", optional=False),
            units=tuple(self.unit(u, f"units[{i}]") for i, u in enumerate(units_raw)),
            reliability=tuple(self.reliability(r, f"reliability[{i}]")
                              for i, r in enumerate(reliability_raw)),
            warnings=tuple(warnings),
        )

    def unit(self, raw: Any, path: str) -> UnitScore:
        def num(key: str) -> float | None:
            return self.number(self.get(raw, key, path), f"{path}.{key}")

        excluded = self.mapping(self.get(raw, "excluded", path), f"{path}.excluded")
        groups = self.mapping(self.get(raw, "groups", path), f"{path}.groups")
        dimensions = self.mapping(self.get(raw, "dimensions", path), f"{path}.dimensions")
        status = self.text(self.get(raw, "status", path), f"{path}.status")
        if status not in STATUSES:
            raise ValueError(f"{path}.status: expected one of {', '.join(STATUSES)}, "
                             f"got {status!r}")
        return UnitScore(
            unit=self.text(self.get(raw, "unit", path), f"{path}.unit"),
            index=num("index"), raw_index=num("raw_index"),
            correction=self.number(self.get(raw, "correction", path), f"{path}.correction",
                                   optional=False),
            se=num("se"), df=self.whole(self.get(raw, "df", path), f"{path}.df", optional=True),
            ci_low=num("ci_low"), ci_high=num("ci_high"),
            band=self.text(self.get(raw, "band", path), f"{path}.band", optional=True),
            gap=num("gap"), status=status, p_below=num("p_below"), q_below=num("q_below"),
            n=self.whole(self.get(raw, "n", path), f"{path}.n"),
            excluded=Exclusions(**{
                rule: self.whole(self.get(excluded, rule, f"{path}.excluded"),
                                 f"{path}.excluded.{rule}")
                for rule in ("incomplete", "speeder", "straightline", "coordinated")
            }),
            groups={key: self.group(key, g, f"{path}.groups.{key}") for key, g in groups.items()},
            dimensions={
                key: UnitDimensionScore(
                    key,
                    self.number(self.get(d, "score", f"{path}.dimensions.{key}"),
                                f"{path}.dimensions.{key}.score", optional=False),
                    self.number(self.get(d, "se", f"{path}.dimensions.{key}"),
                                f"{path}.dimensions.{key}.se"))
                for key, d in dimensions.items()
            },
        )

    def group(self, key: str, raw: Any, path: str) -> GroupScore:
        dimensions = self.mapping(self.get(raw, "dimensions", path), f"{path}.dimensions")
        eligible = self.get(raw, "eligible", path)
        if not isinstance(eligible, bool):
            raise ValueError(f"{path}.eligible: expected true or false")
        return GroupScore(
            group=key,
            n=self.whole(self.get(raw, "n", path), f"{path}.n"),
            population=self.number(self.get(raw, "population", path), f"{path}.population"),
            eligible=eligible,
            index=self.number(self.get(raw, "index", path), f"{path}.index"),
            se=self.number(self.get(raw, "se", path), f"{path}.se"),
            dimensions={
                dim: DimensionScore(
                    dim,
                    self.whole(self.get(d, "n", f"{path}.dimensions.{dim}"),
                               f"{path}.dimensions.{dim}.n"),
                    self.number(self.get(d, "score", f"{path}.dimensions.{dim}"),
                                f"{path}.dimensions.{dim}.score", optional=False),
                    self.number(self.get(d, "se", f"{path}.dimensions.{dim}"),
                                f"{path}.dimensions.{dim}.se"))
                for dim, d in dimensions.items()
            },
        )

    def reliability(self, raw: Any, path: str) -> Reliability:
        def num(key: str) -> float | None:
            return self.number(self.get(raw, key, path), f"{path}.{key}")

        return Reliability(
            group=self.text(self.get(raw, "group", path), f"{path}.group"),
            dimension=self.text(self.get(raw, "dimension", path), f"{path}.dimension"),
            k=self.whole(self.get(raw, "k", path), f"{path}.k"),
            n=self.whole(self.get(raw, "n", path), f"{path}.n"),
            alpha=num("alpha"), ci_low=num("ci_low"), ci_high=num("ci_high"),
        )
