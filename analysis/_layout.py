"""One group's scoring layout, compiled from the instrument once per run.

The engine never looks at a :class:`~analysis.Question` while it works through
the responses: everything it needs (which columns are scored, each cell's
score, each question's weight and dimension, each cell's option code) is laid
out here as small lookup arrays, so that decoding a million rows is a handful
of vectorised ``take`` and ``reduce`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._instrument import Instrument

__all__: list[str] = []


@dataclass(frozen=True)
class GroupLayout:
    """Lookup arrays for one respondent group.

    The scored questions are laid out dimension by dimension (in the file's
    order of dimensions, and of questions within one), so that a sum per
    dimension is ``np.add.reduceat`` over contiguous columns. That keeps the
    hot loop free of BLAS: a multithreaded matrix product on a busy two-core
    server can be ten times slower than on an idle one, a plain NumPy
    reduction is not.

    Attributes
    ----------
    group : str
        The group key.
    question_ids : tuple of str
        All the group's questions in instrument order (the columns of
        ``GroupResponses.cells``).
    scored_columns : ndarray of intp
        Positions among ``question_ids`` of the scored questions, dimension
        by dimension: scored column j is cells column ``scored_columns[j]``.
    in_place : bool
        True when ``scored_columns`` is every column in order, so that the
        scored cells are the cells themselves (no copy).
    n_options : ndarray of int32
        Number of options of each scored question; a cell is 0..n_options.
    score_table : ndarray of float64
        Flattened per-question tables: ``score_table[offset[j] + cell]`` is
        the score of cell ``cell`` of scored column ``j``, NaN for a blank
        cell or an option scored null (don't know).
    offset : ndarray of int32
        Start of each scored column's table in ``score_table``.
    code_table : ndarray of int32 or None
        Same layout as ``score_table``, giving an id per distinct option code
        (0 for blank), for the straightline rule which compares codes. None
        when every scored question lists its codes in the same order, so that
        the cell itself serves as the code id.
    dimensions : ndarray of intp
        Indices into ``Instrument.dimensions`` of the dimensions this group
        measures, in the file's order.
    dimension_start : ndarray of intp
        First scored column of each of ``dimensions`` (``reduceat`` indices).
    dimension_of : ndarray of intp
        Position in ``dimensions`` of each scored column.
    question_weight : ndarray of float64
        w_i of each scored column.
    unit_weights : bool
        True when every w_i is 1, so weighted and plain sums coincide.
    items_per_dimension : ndarray of int64
        k, the number of scored questions of each dimension.
    omega : ndarray of float64
        Dimension weights ω_gk of ``dimensions``.
    """

    group: str
    question_ids: tuple[str, ...]
    scored_columns: np.ndarray
    in_place: bool
    n_options: np.ndarray
    score_table: np.ndarray
    offset: np.ndarray
    code_table: np.ndarray | None
    dimensions: np.ndarray
    dimension_start: np.ndarray
    dimension_of: np.ndarray
    question_weight: np.ndarray
    unit_weights: bool
    items_per_dimension: np.ndarray
    omega: np.ndarray

    @property
    def n_scored(self) -> int:
        """Number of scored questions."""
        return int(self.scored_columns.shape[0])


def compile_layout(instrument: Instrument, group: str) -> GroupLayout:
    """Lay out ``group``'s scoring model as lookup arrays."""
    questions = instrument.questions_of(group)
    dimension_index = {d: k for k, d in enumerate(instrument.dimensions)}
    scored = sorted(((i, q) for i, q in enumerate(questions) if q.scored),
                    key=lambda item: (dimension_index[item[1].dimension], item[0]))
    present = sorted({dimension_index[q.dimension] for _, q in scored})
    position = {k: p for p, k in enumerate(present)}
    dimension_of = np.array([position[dimension_index[q.dimension]] for _, q in scored],
                            dtype=np.intp)

    n_options = np.array([len(q.options) for _, q in scored], dtype=np.int32)
    offset = np.zeros(len(scored), dtype=np.int32)
    if len(scored) > 1:
        offset[1:] = np.cumsum(n_options[:-1] + 1)
    size = int(n_options.sum() + len(scored))
    score_table = np.full(size, np.nan)
    code_ids: dict[str, int] = {}
    code_table = np.zeros(size, dtype=np.int32)
    for j, (_, q) in enumerate(scored):
        for i, option in enumerate(q.options):
            if option.score is not None:
                score_table[offset[j] + 1 + i] = option.score
            code_table[offset[j] + 1 + i] = code_ids.setdefault(option.code, len(code_ids) + 1)

    # The cell is 1 + option index. When every scored question lists its codes
    # as a prefix of one common list, equal cells mean equal codes and the
    # straightline rule can compare cells directly, skipping a gather.
    longest = max((q.options for _, q in scored), key=len, default=())
    same_order = all(
        [o.code for o in q.options] == [o.code for o in longest[: len(q.options)]]
        for _, q in scored
    )
    columns = np.array([i for i, _ in scored], dtype=np.intp)
    weight = np.array([q.weight for _, q in scored], dtype=np.float64)
    omega = np.array([instrument.dimension_weight(group, instrument.dimensions[k])
                      for k in present], dtype=np.float64)
    return GroupLayout(
        group=group,
        question_ids=tuple(q.id for q in questions),
        scored_columns=columns,
        in_place=np.array_equal(columns, np.arange(len(questions))),
        n_options=n_options,
        score_table=score_table,
        offset=offset,
        code_table=None if same_order else code_table,
        dimensions=np.array(present, dtype=np.intp),
        dimension_start=np.searchsorted(dimension_of, np.arange(len(present))).astype(np.intp),
        dimension_of=dimension_of,
        question_weight=weight,
        unit_weights=bool(np.all(weight == 1.0)),
        items_per_dimension=np.bincount(dimension_of, minlength=len(present)).astype(np.int64),
        omega=omega,
    )
