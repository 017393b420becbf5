"""Internal consistency of each dimension (methodology v1, section 4.11).

Cronbach's alpha is pooled over all units. Its sums are gathered block by
block during the one pass over the responses (see :mod:`analysis._decode`),
so no response x question matrix is ever held.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._layout import GroupLayout
from ._results import Reliability

__all__: list[str] = []

#: A total-score variance below (this x 100 x k)² is rounding noise (sums of
#: the same scores in another order may differ in the last bit): the
#: variance counts as 0 and alpha is undefined (methodology v1.1, section 5;
#: 100 x k bounds a total of k scores in [0, 100]).
_ZERO_SPREAD = 1e-12


class AlphaSums:
    """Running sums for Cronbach's alpha of every dimension of one group.

    Sums are of values shifted by a constant near their mean, so that the
    variance from sums, (Σy² − (Σy)²/n)/(n − 1), loses no precision to
    cancellation: for an item, the midpoint of its option scores; for a
    total, the first total seen, so that totals that are all equal give
    exactly zero sums and are recognised as zero variance.

    Parameters
    ----------
    layout : GroupLayout
        The group; every dimension is tracked, those with k < 2 questions
        are simply not reported.
    """

    def __init__(self, layout: GroupLayout):
        n_dims = len(layout.dimensions)
        self.k = layout.items_per_dimension.copy()
        self.dimension_of = layout.dimension_of
        shift = np.zeros(layout.n_scored)
        for j in range(layout.n_scored):
            start = layout.offset[j] + 1
            scores = layout.score_table[start:start + layout.n_options[j]]
            scores = scores[~np.isnan(scores)]
            if scores.size:
                shift[j] = (scores.min() + scores.max()) / 2
        self.shift = shift
        self.total_shift = np.full(n_dims, np.nan)
        self.n = np.zeros(n_dims)
        self.item_sum = np.zeros(layout.n_scored)
        self.item_square = np.zeros(layout.n_scored)
        self.total_sum = np.zeros(n_dims)
        self.total_square = np.zeros(n_dims)

    def add(self, item: np.ndarray, total: np.ndarray, complete: np.ndarray) -> None:
        """Add a block of responses.

        Parameters
        ----------
        item : ndarray, shape (n_scored, b)
            Item scores, question-major (any value where not a scored
            answer). Used as scratch space: overwritten.
        total : ndarray, shape (n_dims, b)
            Plain sum of each dimension's item scores per response.
        complete : ndarray of bool, shape (n_dims, b)
            True where the response is included and has a scored answer to
            every question of the dimension: the rows alpha uses.
        """
        # each question counts the responses complete in its own dimension;
        # questions are laid out dimension by dimension, so repeat the masks
        mask = np.repeat(complete, self.k, axis=0)
        item -= self.shift[:, None]
        item *= mask
        self.item_sum += item.sum(axis=1)
        self.item_square += np.einsum("ij,ij->i", item, item)
        unset = np.isnan(self.total_shift)
        if unset.any():
            for position in np.flatnonzero(unset & complete.any(axis=1)):
                self.total_shift[position] = total[position, complete[position].argmax()]
        centred = (total - np.nan_to_num(self.total_shift)[:, None]) * complete
        self.total_sum += centred.sum(axis=1)
        self.total_square += np.einsum("ij,ij->i", centred, centred)
        self.n += complete.sum(axis=1)

    def result(self, position: int, group: str, dimension: str) -> Reliability:
        """Cronbach's alpha of the group's ``position``-th dimension, with
        its Feldt 95% interval.

        Notes
        -----
        With sample variances (ddof = 1) of each item, s_i², and of the
        total T = Σ_i x_i, s_T²:

        .. math::

            \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i s_i^2}{s_T^2}\\right)

        Feldt's interval, with F(p) the quantile of the F distribution on
        (n − 1, (n − 1)(k − 1)) degrees of freedom:
        [1 − (1 − α) F(0.975), 1 − (1 − α) F(0.025)]. Alpha and interval
        are None when n < 3 or s_T² = 0, up to rounding: below
        (1e-12 · 100 · k)².
        """
        n, k = int(self.n[position]), int(self.k[position])
        undefined = Reliability(group, dimension, k, n, None, None, None)
        if n < 3 or k < 2:
            return undefined
        total_sum, total_square = self.total_sum[position], self.total_square[position]
        total_variance = float((total_square - total_sum**2 / n) / (n - 1))
        if total_variance < (_ZERO_SPREAD * 100.0 * k) ** 2:
            return undefined
        mine = self.dimension_of == position
        item_sum, item_square = self.item_sum[mine], self.item_square[mine]
        item_variance = float(((item_square - item_sum**2 / n) / (n - 1)).sum())
        alpha = k / (k - 1) * (1.0 - item_variance / total_variance)
        upper, lower = stats.f.ppf([0.975, 0.025], n - 1, (n - 1) * (k - 1))
        return Reliability(group, dimension, k, n, alpha,
                           float(1.0 - (1.0 - alpha) * upper), float(1.0 - (1.0 - alpha) * lower))
