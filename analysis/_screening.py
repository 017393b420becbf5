"""Screening of responses before scoring (methodology v1, section 3).

Each rule is evaluated on every response independently; a flagged response
is excluded from every estimate and counted under the first rule that flags
it, in the order of :data:`EXCLUSION_RULES`, so that the counts add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._instrument import Quality

__all__ = ["EXCLUSION_RULES", "Screening"]

#: The screening rules in the order that decides which one a response is
#: counted under. A response's reason code is its rule's position plus one
#: (0 = included).
EXCLUSION_RULES = ("incomplete", "speeder", "straightline", "coordinated")


@dataclass(frozen=True)
class Screening:
    """Which responses were excluded, and why.

    Attributes
    ----------
    reasons : dict of str to ndarray of int8
        Per group, one code per response in table order: 0 when included,
        else ``1 + EXCLUSION_RULES.index(rule)`` for the first rule that
        flags it.
    """

    reasons: Mapping[str, np.ndarray]

    def included(self, group: str) -> np.ndarray:
        """Boolean mask of the group's included responses."""
        return self.reasons[group] == 0

    def excluded_by(self, group: str, rule: str) -> np.ndarray:
        """Boolean mask of the group's responses counted under ``rule``."""
        return self.reasons[group] == EXCLUSION_RULES.index(rule) + 1


def first_rule(quality: Quality, *, scored_answers: np.ndarray, answered: np.ndarray,
               duration_s: np.ndarray, straightline: np.ndarray | None,
               clustered: np.ndarray | None) -> np.ndarray:
    """Reason code per response (see :class:`Screening`).

    Parameters
    ----------
    quality : Quality
        The thresholds; a rule whose threshold is None is off.
    scored_answers : ndarray, shape (n,)
        *s*: non-blank cells with a non-null score.
    answered : ndarray, shape (n,)
        *a*: non-blank cells among all the group's question columns.
    duration_s : ndarray of float64, shape (n,)
        NaN where blank.
    straightline : ndarray of bool or None
        Verdict of the straightline rule (≥ ``straightline_min_items``
        non-blank scored cells, all holding the same option code).
    clustered : ndarray of bool or None
        Verdict of the coordinated rule (see :func:`coordinated`).

    Returns
    -------
    ndarray of int8
        0 when no rule flags, else 1 + the position in
        :data:`EXCLUSION_RULES` of the first rule that does.

    Notes
    -----
    incomplete: s < ``min_scored_answers``; speeder: duration_s present and
    duration_s < ``speeder_seconds_per_item`` × a.
    """
    flags: list[np.ndarray | None] = [None, None, straightline, clustered]
    if quality.min_scored_answers is not None:
        flags[0] = scored_answers < quality.min_scored_answers
    if quality.speeder_seconds_per_item is not None:
        # NaN (a blank duration) compares False: the rule does not apply
        flags[1] = duration_s < quality.speeder_seconds_per_item * answered
    reasons = np.zeros(answered.shape[0], dtype=np.int8)
    # later rules first, so that the first rule that flags has the last word
    for code in range(len(flags), 0, -1):
        flag = flags[code - 1]
        if flag is not None:
            reasons[flag] = code
    return reasons


def coordinated(unit: np.ndarray, cells: np.ndarray, row_hash: np.ndarray,
                min_cluster: int) -> np.ndarray:
    """Flag responses in clusters of at least ``min_cluster`` identical rows.

    Parameters
    ----------
    unit : ndarray of int, shape (n,)
        Stratum of each response: clusters never span units.
    cells : ndarray of int32, shape (n, q)
        Every cell of the group's question columns (blanks included). Equal
        cells mean equal CSV strings: a choice cell is its option, any other
        cell a digest of its text (see :mod:`analysis._table`).
    row_hash : ndarray of uint64, shape (n,)
        Any function of (unit, cells); identical rows must share it.
    min_cluster : int

    Returns
    -------
    ndarray of bool

    Notes
    -----
    The hash only proposes clusters, it never decides one: rows whose hash
    at least ``min_cluster`` rows share are the candidates, and each is
    compared cell by cell (and unit) with the first row of its hash. When
    all agree, the proposals are true clusters. When any differs, a hash
    collision happened, and the candidates are regrouped exactly with
    ``np.unique(axis=0)`` on (unit, cells). So a collision can cost time but
    never flag a response wrongly; and a true cluster is never missed,
    because identical rows always share their hash. In the common case (few
    candidates) the rule costs one sort of an integer per row.
    """
    n = unit.shape[0]
    flagged = np.zeros(n, dtype=bool)
    if n < min_cluster:
        return flagged
    order = np.argsort(row_hash)  # ties in any order: a cluster's members are equivalent
    sorted_hash = row_hash[order]
    first = np.concatenate(([True], sorted_hash[1:] != sorted_hash[:-1]))
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, n))
    large = sizes >= min_cluster
    if not large.any():
        return flagged
    # candidates: rows whose hash at least min_cluster rows share, each with
    # the first row of its hash as the one to compare with
    run = np.cumsum(first) - 1
    candidate = large[run]
    leaders = order[starts[run[candidate]]]
    rows = order[candidate]
    identical = (unit[rows] == unit[leaders]) & (cells[rows] == cells[leaders]).all(axis=1)
    if identical.all():
        flagged[rows] = True
        return flagged
    keys = np.column_stack((unit[rows].astype(np.int64), cells[rows].astype(np.int64)))
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    flagged[rows] = counts[inverse.ravel()] >= min_cluster
    return flagged
