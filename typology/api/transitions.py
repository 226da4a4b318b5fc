"""Type transitions between periods: counts (``transition_matrix``), the units that moved, an alluvial chart.

They work on any units × periods table of categories; ``timeseries.Panel`` applies them to the
types of a panel of reference years. A unit absent from one period is counted as ``MISSING``
there, so every unit is counted once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..render import charts
from ..render.layers import TYPE_PALETTE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MISSING = "(none)"  # a unit absent from one year's results


def transition_matrix(before: pd.Series, after: pd.Series, order: list[str] | None = None) -> pd.DataFrame:
    """Counts of units by (type before, type after); rows = before, columns = after.

    The two series are aligned on their index (unit codes). A unit present in one only is
    counted under ``MISSING`` on the other side, so every unit is counted once.

    Parameters
    ----------
    before, after : pandas.Series
        Type per unit code.
    order : list of str, optional
        Row and column order (categories not seen are kept as zero rows/columns).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> panel = tp.run_panel([2015, 2020])                           # doctest: +SKIP
    >>> tp.transition_matrix(panel.types[2015], panel.types[2020])  # doctest: +SKIP
    >>> import pandas as pd
    >>> tp.transition_matrix(pd.Series({"a": "x", "b": "y"}), pd.Series({"a": "x", "b": "x"}))
    to    x  y
    from
    x     1  0
    y     1  0
    """
    codes = before.index.union(after.index)
    a = before.reindex(codes).fillna(MISSING).astype(str)
    b = after.reindex(codes).fillna(MISSING).astype(str)
    seen = list(dict.fromkeys([*sorted(set(a)), *sorted(set(b))]))
    cats = list(order or [])
    cats += [c for c in seen if c not in cats and c != MISSING]
    if MISSING in seen:
        cats.append(MISSING)
    matrix = pd.crosstab(pd.Categorical(a, cats), pd.Categorical(b, cats), dropna=False)
    matrix.index.name, matrix.columns.name = "from", "to"
    return matrix.astype(int)


def changed_types(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """The units whose type differs between two series (aligned by index), with both types.

    Parameters
    ----------
    before, after : pandas.Series
        Type per unit code; a unit in one only counts as ``MISSING`` on the other side.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``from``, ``to``.
    """
    codes = before.index.union(after.index)
    a = before.reindex(codes).fillna(MISSING).astype(str)
    b = after.reindex(codes).fillna(MISSING).astype(str)
    moved = a != b
    return pd.DataFrame({"code": codes[moved], "from": a[moved].to_numpy(), "to": b[moved].to_numpy()})


def alluvial(types: pd.DataFrame, order: list[str], labels: dict[str, str] | None = None,
             title: str = "", colours: dict[str, str] | None = None) -> Figure:
    """Alluvial (Sankey-like) chart of a units × periods table of categories.

    Parameters
    ----------
    types : pandas.DataFrame
        Units × periods; a cell is a category (NaN = absent that period).
    order : list of str
        Category order from top to bottom (categories not listed follow, sorted).
    labels : dict of str to str, optional
        Display name per category.
    title : str, default ''
        Figure title.
    colours : dict of str to str, optional
        Colour per category (others take the palette in order).

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = labels or {}
    cols = list(types.columns)
    filled = types.fillna(MISSING).astype(str)
    cats = [c for c in order if (filled == c).any().any()]
    cats += sorted({v for v in np.unique(filled.to_numpy()) if v not in cats and v != MISSING})
    if (filled == MISSING).any().any():
        cats.append(MISSING)
    given = colours or {}
    colours = {c: given.get(c) or TYPE_PALETTE[i % len(TYPE_PALETTE)] for i, c in enumerate(cats)}
    colours.update({c: charts.MISSING_COLOUR for c in cats if c == MISSING or (c == "unclassified" and c not in given)})
    total = len(filled)
    gap = 0.02 * total
    width = 0.12

    def blocks(col: object) -> dict[str, tuple[float, float]]:
        counts = filled[col].value_counts()
        out, y = {}, 0.0
        for c in cats:
            n = float(counts.get(c, 0))
            out[c] = (y, y + n)
            y += n + (gap if n else 0)
        return out

    with charts.style():
        fig = charts.new_figure(2.6 * len(cols) + 1.5, 5.5)
        ax = fig.add_subplot()
        stacks = [blocks(c) for c in cols]
        for i, col in enumerate(cols):
            for c, (lo, hi) in stacks[i].items():
                if hi > lo:
                    ax.add_patch(_rect(i - width / 2, lo, width, hi - lo, colours[c]))
                    ax.text(i + width / 2 + 0.02, (lo + hi) / 2, f"{labels.get(c, c)} {int(hi - lo)}", ha="left",
                            va="center", fontsize="small", zorder=3,
                            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
            ax.text(i, -0.04 * total, str(col), ha="center", va="top")
        t = np.linspace(0, 1, 50)
        smooth = 3 * t**2 - 2 * t**3
        for i in range(len(cols) - 1):
            left, right = dict(stacks[i]), dict(stacks[i + 1])
            out_pos = {c: left[c][0] for c in cats}
            in_pos = {c: right[c][0] for c in cats}
            pairs = filled.groupby([filled[cols[i]], filled[cols[i + 1]]]).size()
            for a in cats:
                for b in cats:
                    n = float(pairs.get((a, b), 0))
                    if not n:
                        continue
                    y0, y1 = out_pos[a], in_pos[b]
                    out_pos[a] += n
                    in_pos[b] += n
                    x = i + width / 2 + t * (1 - width)
                    lower = y0 + (y1 - y0) * smooth
                    ax.fill_between(x, lower, lower + n, color=colours[a], alpha=0.35 if a == b else 0.6,
                                    linewidth=0)
        ax.set_xlim(-0.5, len(cols) - 0.5)
        ax.set_ylim(-0.1 * total, total + gap * len(cats))
        ax.invert_yaxis()
        ax.set_axis_off()
        if title:
            ax.set_title(title)
    return fig


def _rect(x: float, y: float, w: float, h: float, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="white", linewidth=0.5)
