"""One pass over a group's cells: screening and everything scoring reads.

The pass runs over blocks of rows so that its temporaries (a block's scores,
masks and codes) live in reused buffers near the processor cache: a million
responses cost a few numbers per response and no response x question float
matrix. The coordinated rule needs all rows of a stratum at once, so it runs
first, on a row hash; then each block is decoded, screened, and feeds the
reliability sums, and the included responses' dimension scores are kept
(compacted) for the estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._instrument import Quality
from ._layout import GroupLayout
from ._reliability import AlphaSums
from ._screening import coordinated, first_rule
from ._table import GroupResponses

__all__: list[str] = []

#: Rows per block: 16k rows x 35 questions x 8 bytes is about 4.5 MB, which
#: keeps a block's temporaries near the cache while the per-block Python
#: overhead (a few dozen NumPy calls) stays negligible.
BLOCK_ROWS = 16_384

# Odd 64-bit multipliers for the row hash of the coordinated rule, fixed so
# that results never depend on a run's random state. The hash only proposes
# clusters; _screening.coordinated verifies each proposal cell by cell.
_HASH_SEED = 20_240_601


def hash_multipliers(n_columns: int) -> np.ndarray:
    """Odd uint64 multipliers, one per column plus one for the unit."""
    rng = np.random.default_rng(_HASH_SEED)
    draws = rng.integers(0, 2**63, size=n_columns + 1, dtype=np.uint64)
    return draws * np.uint64(2) + np.uint64(1)


def row_hashes(block: GroupResponses) -> np.ndarray:
    """Multiply-add hash of (unit, every cell) per response, uint64.

    Unsigned arithmetic wraps modulo 2**64 by definition, which is the hash.
    An integer matrix product is NumPy's own loop, not BLAS, so it does not
    spawn threads.
    """
    multipliers = hash_multipliers(block.cells.shape[1])
    out = np.empty(block.n, dtype=np.uint64)
    for start in range(0, block.n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, block.n)
        out[start:stop] = block.cells[start:stop].astype(np.uint64) @ multipliers[:-1]
        out[start:stop] += block.unit[start:stop].astype(np.uint64) * multipliers[-1]
    return out


@dataclass(frozen=True)
class GroupPass:
    """What one pass over a group's responses yields.

    Attributes
    ----------
    reasons : ndarray of int8, shape (n,)
        Screening outcome per response (0 included, else the first rule's
        code, see :class:`analysis.Screening`).
    unit : ndarray of intp, shape (m,)
        Stratum (unit index) of each of the m included responses, in order.
    weight : ndarray of float64, shape (m,)
        Their respondent weights v_r.
    dimension_score : ndarray of float64, shape (n_dims, m)
        Their d_rk = Σ w_i s_ri / Σ w_i over scored answers in the group's
        k-th dimension; NaN when none. Dimension-major so that each dimension
        is one contiguous row for the estimates.
    alpha_sums : AlphaSums or None
        Cronbach's alpha sums of the group's dimensions (None when not
        decoding).
    """

    reasons: np.ndarray
    unit: np.ndarray
    weight: np.ndarray
    dimension_score: np.ndarray
    alpha_sums: AlphaSums | None


def screen_and_decode(layout: GroupLayout, block: GroupResponses, quality: Quality, *,
                      decode: bool = True) -> GroupPass:
    """Screen ``block`` and decode its included responses with ``layout``.

    Parameters
    ----------
    layout : GroupLayout
    block : GroupResponses
    quality : Quality
        The screening thresholds.
    decode : bool, default True
        False to screen only (dimension scores and reliability sums empty).

    Raises
    ------
    ValueError
        When a cell is negative, or a scored cell is beyond its question's
        options: the table was not encoded for this instrument.
    """
    n = block.n
    n_dims = len(layout.dimensions)
    n_scored = layout.n_scored
    cells = block.cells
    if quality.coordinated_min_cluster is not None:
        clustered = coordinated(block.unit, cells, row_hashes(block),
                                quality.coordinated_min_cluster)
    else:
        clustered = None

    reasons = np.empty(n, dtype=np.int8)
    kept_unit = np.empty(n, dtype=np.intp)
    kept_weight = np.empty(n)
    kept_score = np.empty((n_dims, n)) if decode else np.empty((n_dims, 0))
    kept = 0
    alpha_sums = AlphaSums(layout) if decode and n_dims else None

    rows = min(BLOCK_ROWS, n)
    # item-major buffers (question x response): a dimension's questions are
    # then a run of contiguous rows, and summing them is adding whole vectors
    item_buffer = np.empty((n_scored, rows))
    lookup_buffer = np.empty((n_scored, rows), dtype=np.int32)
    offset = layout.offset[:, None]
    segments = list(zip(layout.dimension_start.tolist(),
                        (layout.dimension_start + layout.items_per_dimension).tolist(),
                        strict=True))
    small = n_dims == 0 or int(layout.items_per_dimension.max()) < 128
    count_type = np.int8 if small else np.int32
    weight_of = layout.question_weight[:, None]
    items = layout.items_per_dimension[:, None]
    straightline_min = quality.straightline_min_items
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        size = stop - start
        chunk = cells[start:stop]
        scored_cells = chunk if layout.in_place else chunk[:, layout.scored_columns]
        _check_cells(layout, chunk, scored_cells, block.group)

        answered = np.count_nonzero(chunk, axis=1)
        lookup = lookup_buffer[:, :size]
        np.copyto(lookup, scored_cells.T)
        lookup += offset
        item = np.take(layout.score_table, lookup, out=item_buffer[:, :size], mode="clip")
        answer = item == item  # False for NaN: blank or don't know
        np.fmax(item, 0.0, out=item)  # NaN -> 0; scores are never below 0
        answer_counts = answer.view(np.int8)
        count = np.empty((n_dims, size), dtype=count_type)
        for p, (first, last) in enumerate(segments):
            np.add.reduce(answer_counts[first:last], axis=0, dtype=count_type, out=count[p])
        scored_answers = count.sum(axis=0)

        straightline = None
        if straightline_min is not None:
            if layout.code_table is None:
                codes, non_blank = scored_cells, (
                    answered if layout.in_place else np.count_nonzero(scored_cells, axis=1))
            else:
                codes = layout.code_table[lookup].T
                non_blank = np.count_nonzero(codes, axis=1)
            top = codes.max(axis=1, initial=0)
            same = ((codes == top[:, None]) | (codes == 0)).all(axis=1)
            straightline = (non_blank >= straightline_min) & same

        reason = first_rule(quality, scored_answers=scored_answers, answered=answered,
                            duration_s=block.duration_s[start:stop], straightline=straightline,
                            clustered=None if clustered is None else clustered[start:stop])
        reasons[start:stop] = reason
        included = reason == 0
        taken = int(np.count_nonzero(included))
        kept_unit[kept:kept + taken] = block.unit[start:stop][included]
        kept_weight[kept:kept + taken] = block.weight[start:stop][included]
        if decode and n_dims:
            # d_rk = Σ w s / Σ w over the scored answers of dimension k
            plain = np.empty((n_dims, size))
            for p, (first, last) in enumerate(segments):
                np.add.reduce(item[first:last], axis=0, out=plain[p])
            if layout.unit_weights:
                weighted, weights = plain, count
            else:
                scaled = item * weight_of
                answered_weight = answer * weight_of
                weighted = np.empty((n_dims, size))
                weights = np.empty((n_dims, size))
                for p, (first, last) in enumerate(segments):
                    np.add.reduce(scaled[first:last], axis=0, out=weighted[p])
                    np.add.reduce(answered_weight[first:last], axis=0, out=weights[p])
            dimension = np.full((n_dims, size), np.nan)
            np.divide(weighted, weights, out=dimension, where=count > 0)
            kept_score[:, kept:kept + taken] = dimension[:, included]
            if alpha_sums is not None:
                complete = (count == items) & included
                alpha_sums.add(item, plain, complete)  # last use of item: it is overwritten
        kept += taken

    return GroupPass(reasons=reasons, unit=kept_unit[:kept], weight=kept_weight[:kept],
                     dimension_score=kept_score[:, :kept] if decode else kept_score,
                     alpha_sums=alpha_sums)


def _check_cells(layout: GroupLayout, chunk: np.ndarray, scored_cells: np.ndarray,
                 group: str) -> None:
    if chunk.size == 0:
        return
    if chunk.min() < 0:
        raise ValueError(f"group {group}: negative cell code; cells are 0 (blank) or positive")
    if scored_cells.shape[1]:
        over = scored_cells.max(axis=0) > layout.n_options
        if over.any():
            j = int(np.flatnonzero(over)[0])
            qid = layout.question_ids[layout.scored_columns[j]]
            raise ValueError(f"group {group}: a cell of {qid} is beyond its "
                             f"{layout.n_options[j]} options")
