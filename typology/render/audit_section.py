"""The statistical audit as a report section (escaped HTML) from the audit tables."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def audit_html(table: pd.DataFrame, imputations: pd.DataFrame, dimension_names: dict[str, str]) -> str:
    """The audit as escaped HTML: a summary, then the indicator, dimension and correlation tables."""
    ind = table[table["level"] == "indicator"]
    dim = table[table["level"] == "dimension"].set_index("dimension")
    lines = []
    for d, row in dim.iterrows():
        label = f"{dimension_names.get(d, d)} ({d})"
        against = row["against_rest"] or row["pulling_against"]
        lines.append(f"<li>{html.escape(label)}: α = {_fmt(row['alpha'])}, PC1 = {_fmt(row['pc1_share'])}"
                     + (f"; 다른 지표와 반대 방향 / pulls against the rest: {html.escape(against)}" if against else "")
                     + "</li>")
    intro = ("<p>Cronbach α는 차원 안 지표들의 내적 일관성(대개 0.7 이상이면 양호), PC1은 첫 주성분이 설명하는 분산 "
             "비율이다. corr_rest가 음수인 지표는 같은 차원의 나머지 지표와 반대 방향으로 움직인다.<br>"
             "Cronbach's α measures the internal consistency of a dimension's indicators (0.7 or more is "
             "usually read as consistent); PC1 is the variance share of the first principal component. An "
             "indicator with a negative corr_rest moves against the other indicators of its dimension.</p>")
    fmt = {"float_format": _fmt, "na_rep": "", "index": False, "escape": True, "border": 0,
           "classes": "audit-table"}
    ind_cols = ["dimension", "indicator", "name_ko", "n", "missing", "imputed", "min", "max", "mean", "skew",
                "kurtosis", "outlier", "treatment", "treatment_detail", "weight", "corr_dimension", "corr_rest"]
    dim_cols = ["name_ko", "indicators", "units_complete", "alpha", "pc1_share", "mean_inter_corr", "weight",
                "pulling_against", "against_rest"]
    corr_cols = [f"corr_{d}" for d in [*DIMENSIONS, "composite"]]
    corr = dim[corr_cols].rename(columns=lambda c: c.removeprefix("corr_"))
    parts = [
        intro, "<ul>", *lines, "</ul>",
        "<h3>지표별 / Indicators</h3>", ind[ind_cols].to_html(**fmt),
        "<h3>차원별 / Dimensions</h3>", dim[dim_cols].reset_index().to_html(**fmt),
        "<h3>차원 간 상관 / Correlations between dimensions</h3>",
        corr.to_html(**{**fmt, "index": True}),
        f"<p>대체된 값 / imputed cells: {len(imputations)}</p>",
    ]
    return "\n".join(parts)
