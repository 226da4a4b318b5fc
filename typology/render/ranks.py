"""National ranks that show ties as ties.

Regions with the same score share the better rank (``method="min"``, as in scores.csv), and
every place that shows a rank says so: ``공동 47위`` with the range of ranks the tie covers
(``47–226위``) and how many regions share it. On the bundled data 180 of 228 regions have the
same institution score; a bare "47위" would tell each of them it is 47th.

Scores tie when they are equal as numbers, the same test the ranks use, so a rank and its tie
can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.ranks import rank


def ranks_and_ties(values: pd.Series) -> pd.DataFrame:
    """Per unit: ``rank`` (1 = highest; ties share the better rank) and ``tied`` (units with that score,
    1 when alone); both missing where the score is."""
    ranks = rank(values)
    tied = values.map(values.value_counts(dropna=True)).astype("Int64")
    return pd.DataFrame({"rank": ranks, "tied": tied.where(values.notna())}, index=values.index)


def rank_parts(rank: object, tied: object, scored: int | None = None) -> tuple[str, str]:
    """The rank and, for a tie, what the tie covers: ``("공동 47위 / 228", "47–226위, 180곳 동점")``;
    ``("47위 / 228", "")`` alone; ``("결측", "")`` for a unit without a rank. ``/ 228`` only with ``scored``."""
    if rank is None or pd.isna(rank):
        return "결측", ""
    rank = int(rank)
    of = f" / {scored}" if scored is not None else ""
    tied = 1 if tied is None or pd.isna(tied) else int(tied)
    if tied <= 1:
        return f"{rank}위{of}", ""
    return f"공동 {rank}위{of}", f"{rank}–{rank + tied - 1}위, {tied}곳 동점"


def rank_text(rank: object, tied: object, scored: int | None = None) -> str:
    """``47위``, or ``공동 47위 (47–226위, 180곳 동점)`` for a tie (see ``rank_parts``)."""
    main, tie = rank_parts(rank, tied, scored)
    return f"{main} ({tie})" if tie else main


@dataclass(frozen=True)
class BoundaryTie:
    """Quantile class boundaries that fall inside one tie of scores."""

    value: float
    tied: int
    quantiles: tuple[float, ...]

    def _at(self) -> str:
        return "·".join(f"{q:.0%}" for q in self.quantiles)

    def text(self) -> str:
        """The legend's sentence, Korean with English beside."""
        boundary = "boundaries fall" if len(self.quantiles) > 1 else "boundary falls"
        return (f"{self.tied}곳 동점 (점수 {self.value:+.2f}): {self._at()} 분위 경계가 동점 안에 있어 한 구간에 묶음 "
                f"({self.tied} regions tie at {self.value:+.2f}; the {self._at()} quantile {boundary} inside the tie, "
                "which stays in one class)")

    def short(self) -> str:
        """For a small printed legend."""
        return f"{self.tied}곳 동점 {self.value:+.2f}: {self._at()} 경계 포함 (tie)"


def boundary_ties(values: pd.Series, quantiles: np.ndarray) -> list[BoundaryTie]:
    """Tied scores that a quantile class boundary falls inside.

    A boundary at quantile q falls inside a tie when fewer than q·n units score below the tied
    value and more than q·n score at most it: the tie cannot be split, so its class holds more
    (and a neighbour fewer) than the nominal share, or two classes merge.
    """
    seen = np.sort(values.dropna().to_numpy(dtype=float))
    n = len(seen)
    found: dict[float, list[float]] = {}
    for q in quantiles:
        v = float(np.quantile(seen, q)) if n else np.nan
        below = int(np.searchsorted(seen, v, side="left"))
        upto = int(np.searchsorted(seen, v, side="right"))
        if upto - below > 1 and below < q * n < upto:
            found.setdefault(v, []).append(float(q))
    return [BoundaryTie(v, int(np.sum(seen == v)), tuple(qs)) for v, qs in sorted(found.items())]
