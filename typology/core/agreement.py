"""How alike two labelings are, and how well a score ranks a label: Cohen's κ, the adjusted Rand index, ROC AUC.

Each is computed from counts or ranks with numpy, as scikit-learn defines it (``cohen_kappa_score``,
``adjusted_rand_score``, ``roc_auc_score``; tests/test_agreement_measures.py holds them to it):
importing scikit-learn's metrics for these few numbers cost a default run about a second and a
half and some 50 MiB.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def contingency(a: Sequence, b: Sequence) -> np.ndarray:
    """How many units have each pair of labels.

    Parameters
    ----------
    a, b : sequence
        Two labelings of the same units, in the same order.

    Returns
    -------
    numpy.ndarray
        Integer counts: a row for each label of ``a``, a column for each label of ``b``, both in sorted order.
    """
    rows, row_of = np.unique(np.asarray(a), return_inverse=True)
    cols, col_of = np.unique(np.asarray(b), return_inverse=True)
    table = np.zeros((len(rows), len(cols)), dtype=np.int64)
    np.add.at(table, (row_of, col_of), 1)
    return table


def adjusted_rand(a: Sequence, b: Sequence) -> float:
    """The adjusted Rand index of two partitions (Hubert & Arabie 1985), as ``adjusted_rand_score``.

    Parameters
    ----------
    a, b : sequence
        Two labelings of the same units; the names of the labels do not matter, only who shares one.

    Returns
    -------
    float
        1 for the same partition (also when both put every unit in one group, or there are no units),
        about 0 for agreement no better than chance, negative for less.
    """
    table = contingency(a, b).tolist()
    n = sum(map(sum, table))
    # Pairs of units counted with Python's integers, so that nothing overflows and the one division
    # below is the only rounding.
    together = sum(k * k for row in table for k in row)
    only_a = sum(sum(row) ** 2 for row in table) - together  # pairs together in a, apart in b
    only_b = sum(sum(col) ** 2 for col in zip(*table)) - together
    both = together - n
    neither = n * n - only_a - only_b - together
    if only_a == 0 and only_b == 0:
        return 1.0
    return 2.0 * (both * neither - only_a * only_b) / ((both + only_a) * (only_a + neither)
                                                       + (both + only_b) * (only_b + neither))


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's κ of two labelings over the same labels, as ``cohen_kappa_score`` (unweighted).

    Parameters
    ----------
    a, b : sequence
        Two labelings of the same units, in the same order.

    Returns
    -------
    float
        1 − observed disagreement / disagreement expected from the margins; NaN when no disagreement
        can be expected (every unit given the one label both use, or no units).
    """
    labels, code = np.unique(np.concatenate([np.asarray(a), np.asarray(b)]), return_inverse=True)
    n, k = len(a), len(labels)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (code[:n], code[n:]), 1.0)
    # The same operations in the same order as scikit-learn, so that the same bits come out.
    by_b, by_a = confusion.sum(axis=0), confusion.sum(axis=1)
    total = by_b.sum()
    if total == 0:
        return float("nan")
    expected = np.outer(by_b, by_a) / total
    off = np.ones((k, k))
    np.fill_diagonal(off, 0.0)
    chance = np.sum(off * expected)
    if chance == 0:
        return float("nan")
    return float(1 - np.sum(off * confusion) / chance)


def roc_auc(positive: Sequence[bool], score: Sequence[float]) -> float:
    """The area under the ROC curve of ``score`` for ``positive``, from ranks (the Mann–Whitney U).

    Parameters
    ----------
    positive : sequence of bool
        Which units belong to the class.
    score : sequence of float
        Each unit's score; higher should mean more likely in the class.

    Returns
    -------
    float
        The share of (positive, negative) pairs that the score orders rightly, ties counting half (average
        ranks), as ``roc_auc_score`` gives it; NaN when either group is empty.
    """
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(np.asarray(score, dtype=float)).rank().to_numpy()  # average ranks: a tie counts half
    # Twice the positives' rank sum is an integer: U is exact, and so is the one rounding of the division.
    u_twice = round(2 * float(ranks[positive].sum())) - n_pos * (n_pos + 1)
    return u_twice / (2 * n_pos * n_neg)


def roc_auc_ovr(labels: Sequence, proba: np.ndarray, classes: Sequence) -> float:
    """The mean over classes of each class's ROC AUC against the rest (``multi_class="ovr"``, macro).

    Parameters
    ----------
    labels : sequence
        Each unit's class.
    proba : numpy.ndarray
        One column per class, in the order of ``classes``: the score for that class.
    classes : sequence
        The classes, in the order of ``proba``'s columns.

    Returns
    -------
    float
        The unweighted mean of the classes' AUCs.
    """
    labels = np.asarray(labels)
    return float(np.mean([roc_auc(labels == c, proba[:, i]) for i, c in enumerate(classes)]))
