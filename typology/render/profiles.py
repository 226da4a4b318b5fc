"""Region profiles: a region's four dimension scores against its type's centroid and the national mean.

``region_profile`` gives the numbers; ``profile_figure`` / ``profile_png`` draw them with
matplotlib (for notebooks and reports); ``profile_svg`` draws the same chart as a small inline
SVG for report.html, where 228 PNGs would be heavy and slow to make.

    >>> from typology import load_config, run
    >>> from typology.profiles import profile_png
    >>> png = profile_png(run(load_config()), "37430")  # 울릉군
"""

from __future__ import annotations

import html
import io
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.result import RunResult
from ..errors import TypologyError
from .layers import type_colours

CENTROID_COLOUR = "#555555"
MEAN_COLOUR = "#b00020"
SERIES = {"region": "지역 (region)", "type_centroid": "유형 평균 (type centroid)",
          "national_mean": "전국 평균 (national mean)"}
# A scoped run's scores are relative to the scope's units (units.scope), so its mean is the scope's.
SCOPE_MEAN = "범위 평균 (scope mean)"


def series_labels(result: RunResult) -> dict[str, str]:
    """The legend's names of the series; "national_mean" is the scope's mean in a scoped run."""
    return {**SERIES, "national_mean": SCOPE_MEAN} if result.scope.get("spec") else dict(SERIES)


def dimension_scores(result: RunResult) -> pd.DataFrame:
    return result.scores[list(DIMENSIONS)]


def type_centroids(result: RunResult) -> pd.DataFrame:
    """Mean dimension score of each type's members (index: type key)."""
    return dimension_scores(result).groupby(result.typed["type"]).mean()


def national_mean(result: RunResult) -> pd.Series:
    return dimension_scores(result).mean()


def _dimension_names(result: RunResult) -> list[str]:
    return [result.catalog.dimensions[d]["name_ko"] for d in DIMENSIONS]


def region_profile(result: RunResult, code: str, centroids: pd.DataFrame | None = None,
                   mean: pd.Series | None = None) -> pd.DataFrame:
    """One row per dimension: the region's score, its type's centroid and the national mean.

    ``centroids`` and ``mean`` may be passed in when profiling many regions of one run.
    """
    if code not in result.scores.index:
        raise TypologyError(f"region profile: unit code {code!r} not in the run; expected a KOSTAT 5-digit code")
    type_key = result.typed.at[code, "type"]
    centroids = type_centroids(result) if centroids is None else centroids
    mean = national_mean(result) if mean is None else mean
    frame = pd.DataFrame({
        "dimension": list(DIMENSIONS), "name_ko": _dimension_names(result),
        "region": dimension_scores(result).loc[code].to_numpy(dtype=float),
        "type_centroid": centroids.loc[type_key].to_numpy(dtype=float),
        "national_mean": mean.to_numpy(dtype=float),
    })
    return frame.set_index("dimension")


def type_profile(result: RunResult, type_key: str) -> pd.DataFrame:
    """A type's centroid, the range of its members and the national mean, per dimension."""
    members = dimension_scores(result)[result.typed["type"] == type_key]
    return pd.DataFrame({
        "name_ko": _dimension_names(result),
        "type_centroid": members.mean().to_numpy(dtype=float),
        "member_min": members.min().to_numpy(dtype=float),
        "member_max": members.max().to_numpy(dtype=float),
        "national_mean": national_mean(result).to_numpy(dtype=float),
    }, index=pd.Index(list(DIMENSIONS), name="dimension"))


def _title(result: RunResult, code: str) -> str:
    unit = result.units.set_index("code").loc[code]
    return f"{unit['name_ko']} ({unit['sido_ko']}) · {result.typed.at[code, 'type_ko']}"


def _colour(result: RunResult, code: str) -> str:
    typology = result.settings.typology
    return type_colours(typology.types, typology.unclassified["key"]).get(result.typed.at[code, "type"],
                                                                                 CENTROID_COLOUR)


def profile_figure(result: RunResult, code: str) -> Any:
    """A matplotlib Figure of the region's profile (no pyplot state is touched)."""
    from matplotlib.figure import Figure

    from .fonts import hangul_rc

    data = region_profile(result, code)
    labels = series_labels(result)
    with hangul_rc():
        fig = Figure(figsize=(6.4, 3.2), layout="constrained")
        ax = fig.add_subplot()
        rows = np.arange(len(data))[::-1]
        lo = float(np.nanmin(data[["region", "type_centroid", "national_mean"]].to_numpy()))
        hi = float(np.nanmax(data[["region", "type_centroid", "national_mean"]].to_numpy()))
        for y in rows:
            ax.axhline(y, color="#e5e5e5", linewidth=1, zorder=0)
        ax.scatter(data["national_mean"], rows, marker="|", s=400, color=MEAN_COLOUR, label=labels["national_mean"],
                   zorder=2)
        ax.scatter(data["type_centroid"], rows, marker="D", s=50, facecolors="white", edgecolors=CENTROID_COLOUR,
                   linewidths=1.5, label=labels["type_centroid"], zorder=3)
        ax.scatter(data["region"], rows, marker="o", s=80, color=_colour(result, code), edgecolors="#222222",
                   label=labels["region"], zorder=4)
        ax.set_yticks(rows, [f"{name} ({dim})" for dim, name in data["name_ko"].items()])
        pad = 0.15 * max(hi - lo, 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_xlabel("차원 점수 · dimension score")
        ax.set_title(f"지역 프로필 · region profile: {_title(result, code)}", fontsize=11)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, fontsize=8, frameon=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


def profile_png(result: RunResult, code: str, dpi: int = 110) -> bytes:
    from .fonts import hangul_rc

    fig = profile_figure(result, code)
    buffer = io.BytesIO()
    with hangul_rc():
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _fmt(value: float) -> str:
    return "결측" if np.isnan(value) else f"{round(value, 2) + 0.0:+.2f}"


def svg_range(result: RunResult) -> tuple[float, float]:
    """One x range for every profile in a report, so charts compare at a glance.

    The 2nd–98th percentiles (at least ±1.5): an extreme score (e.g. a CBD's GRDP) is drawn
    at the edge, with its value printed beside the chart, instead of squeezing every other chart.
    """
    values = dimension_scores(result).to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return -1.5, 1.5
    lo, hi = np.quantile(values, [0.02, 0.98])
    return min(float(lo), -1.5), max(float(hi), 1.5)


def profile_svg(data: pd.DataFrame | list[dict[str, Any]], title: str, colour: str, x_range: tuple[float, float],
                series: tuple[str, ...] = ("region", "type_centroid", "national_mean"),
                labels: dict[str, str] | None = None) -> str:
    """An inline SVG dot chart; every text is escaped.

    ``data``: one row per dimension with ``name_ko`` and the series' columns, as from
    region_profile/type_profile (or the same as a list of dicts); ``labels``: the legend's names
    (``series_labels``; default ``SERIES``, the whole country's).
    """
    labels = labels or SERIES
    rows = data.to_dict("records") if isinstance(data, pd.DataFrame) else data
    width, left, right, top, row_h = 520, 112, 330, 44, 30
    height = top + row_h * len(rows) + 10
    lo, hi = x_range

    def x(value: float) -> float:
        return left + (min(max(value, lo), hi) - lo) / (hi - lo) * (right - left)

    esc = html.escape
    parts = [f'<svg class="profile" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">',
             f'<text x="0" y="14" font-size="13" font-weight="bold">{esc(title)}</text>']
    legend = [("region", f'<circle cx="6" cy="28" r="5" fill="{esc(colour)}" stroke="#222"/>'),
              ("type_centroid", f'<rect x="1" y="23" width="9" height="9" transform="rotate(45 5.5 27.5)" '
                                f'fill="#fff" stroke="{CENTROID_COLOUR}" stroke-width="1.5"/>'),
              ("national_mean", f'<line x1="6" y1="22" x2="6" y2="34" stroke="{MEAN_COLOUR}" stroke-width="2"/>')]
    offset = 0
    for key, mark in legend:
        if key in series:
            parts.append(f'<g transform="translate({offset},0)">{mark}'
                         f'<text x="16" y="32" font-size="11">{esc(labels[key])}</text></g>')
            offset += 165
    zero = x(0.0) if lo < 0 < hi else None
    if zero is not None:
        parts.append(f'<line x1="{zero:.1f}" y1="{top - 6}" x2="{zero:.1f}" y2="{height - 8}" stroke="#ccc"/>')
    for i, row in enumerate(rows):
        y = top + row_h * i + row_h / 2
        parts.append(f'<text x="0" y="{y + 4:.1f}" font-size="12">{esc(str(row["name_ko"]))}</text>')
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e5e5e5" stroke-width="6" '
                     f'stroke-linecap="round"/>')
        if "member_min" in row and not np.isnan(row["member_min"]):
            parts.append(f'<line x1="{x(row["member_min"]):.1f}" y1="{y:.1f}" x2="{x(row["member_max"]):.1f}" '
                         f'y2="{y:.1f}" stroke="{esc(colour)}" stroke-opacity="0.35" stroke-width="6"/>')
        if "national_mean" in series and not np.isnan(row["national_mean"]):
            xm = x(row["national_mean"])
            parts.append(f'<line x1="{xm:.1f}" y1="{y - 9:.1f}" x2="{xm:.1f}" y2="{y + 9:.1f}" '
                         f'stroke="{MEAN_COLOUR}" stroke-width="2"/>')
        if "type_centroid" in series and not np.isnan(row["type_centroid"]):
            xc = x(row["type_centroid"])
            parts.append(f'<rect x="{xc - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" '
                         f'transform="rotate(45 {xc:.1f} {y:.1f})" fill="#fff" stroke="{CENTROID_COLOUR}" '
                         f'stroke-width="1.5"/>')
        if "region" in series and not np.isnan(row["region"]):
            parts.append(f'<circle cx="{x(row["region"]):.1f}" cy="{y:.1f}" r="6" fill="{esc(colour)}" '
                         f'stroke="#222"/>')
        shown = [key for key in series if key in row]
        text = " / ".join(_fmt(float(row[key])) for key in shown)
        parts.append(f'<text x="{right + 10}" y="{y + 4:.1f}" font-size="11" fill="#333">{esc(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def region_profile_svg(result: RunResult, code: str, x_range: tuple[float, float] | None = None) -> str:
    return profile_svg(region_profile(result, code), _title(result, code), _colour(result, code),
                       x_range or svg_range(result), labels=series_labels(result))


def region_profile_svgs(result: RunResult) -> dict[str, str]:
    """Every region's profile as inline SVG, on one shared x range (for the report)."""
    centroids, mean, x_range = type_centroids(result), national_mean(result), svg_range(result)
    names = _dimension_names(result)
    typology = result.settings.typology
    colours = type_colours(typology.types, typology.unclassified["key"])
    scores = dimension_scores(result)
    typed = result.typed.reindex(scores.index)
    centre = {key: centroids.loc[key].to_numpy(dtype=float) for key in centroids.index}
    nan4 = np.full(len(DIMENSIONS), np.nan)
    units = result.units.set_index("code").reindex(scores.index)
    labels = series_labels(result)
    out = {}
    for code, values, type_key, type_ko, name, sido in zip(scores.index, scores.to_numpy(dtype=float),
                                                           typed["type"], typed["type_ko"], units["name_ko"],
                                                           units["sido_ko"]):
        rows = [{"name_ko": n, "region": v, "type_centroid": c, "national_mean": m}
                for n, v, c, m in zip(names, values, centre.get(type_key, nan4), mean.to_numpy(dtype=float))]
        out[code] = profile_svg(rows, f"{name} ({sido}) · {type_ko}", colours.get(type_key, CENTROID_COLOUR), x_range,
                                labels=labels)
    return out
