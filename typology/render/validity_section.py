"""The validity audit and the type cross-tabulation as report sections (escaped HTML)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from .validity_notes import checks_html

STATISTICS = {"R2": "R² (log population, simple regression)", "eta2": "η² (between-group share of variance)",
              "cramers_v2": "Cramér's V² (type × group)", "pearson_r": "Pearson r",
              "spearman_rho": "Spearman ρ", "regions_changed": "regions changing type",
              "units_outside": "units outside the continuous range", "max_abs": "largest |value|"}
FMT = {"na_rep": "", "index": False, "escape": True, "border": 0, "classes": "audit-table"}


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.0f}" if float(value).is_integer() and abs(value) > 1 else f"{value:.3f}"
    return str(value)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(float_format=_fmt, **FMT)


def validity_html(audited: Any, config: dict[str, Any], dim_names: dict[str, str] | None = None) -> str:
    """What drives the scores and types: confounders, double counting, decisive indicators, criteria."""
    t = audited.table
    why = config.get("validation", {})
    rationale = "".join(f"<p>{html.escape(why[k].strip())}</p>" for k in ("rationale_ko", "rationale_en")
                        if why.get(k, "").strip())
    parts = [f"<p><strong>{html.escape(audited.line())}</strong></p>", rationale,
             "<p>각 차원·축·종합점수·유형이 인구 규모(로그), 자치구/시/군 구분, 시도로 얼마나 설명되는지, "
             "같은 차원 안에서 중복 계산되는 지표(|r| ≥ 0.9), 지표 하나를 뺐을 때 유형이 바뀌는 지역 수, "
             "채점에 쓰지 않은 기준 변수와의 순위상관을 보인다.<br>"
             "How much of each dimension, axis, the composite and the type is explained by "
             "log population, by the 자치구/시/군 class and by the 시도; indicator pairs inside a dimension that "
             "count one phenomenon twice (|r| ≥ 0.9); how many regions change type when one indicator is dropped; "
             "and rank correlations with criterion variables not used in scoring. Statistics: "
             + html.escape("; ".join(f"{k} = {v}" for k, v in STATISTICS.items())) + ".</p>"]
    parts.append(checks_html(t, config, dim_names or {}))
    conf = t[t["measure"] == "confounder"]
    if len(conf):
        wide = conf.pivot_table(index="target", columns="against", values="value", aggfunc="first", sort=False)
        stat = conf.pivot_table(index="target", columns="against", values="statistic", aggfunc="first", sort=False)
        cells = wide.map(_fmt) + " (" + stat + ")"
        parts.append("<h3>교란 요인 / Confounders</h3>" + _table(cells.reset_index()))
    for measure, title, cols in (
            ("redundancy", "중복 계산 / Redundant pairs", ["target", "against", "value", "n", "flag"]),
            ("leave_one_out", "지표 하나 빼기 / Leave one indicator out", ["against", "value", "n", "flag", "detail"]),
            ("criterion", "기준 변수 / Criterion checks", ["target", "against", "value", "n"]),
            ("discrete_range", "이산 지표의 범위 / Discrete indicators' range",
             ["target", "against", "statistic", "value", "n", "flag", "detail"]),
            ("adjustment", "공변량 보정 / Covariate adjustment",
             ["target", "against", "value", "n", "flag", "detail"])):
        rows = t[t["measure"] == measure]
        if len(rows):
            parts.append(f"<h3>{html.escape(title)}</h3>" + _table(rows[cols]))
    norm = config["scoring"]["normalise"]
    adjust = config["scoring"]["adjust"]
    notes = [f"normalise within: {norm['within'] or 'nation (null)'}", f"discrete indicators: {norm['discrete']}"]
    if adjust["indicators"]:
        notes.append(f"adjusted for {', '.join(adjust['covariates'])}: {', '.join(adjust['indicators'])}")
    parts.append("<p>" + html.escape("; ".join(notes)) + "</p>")
    return "\n".join(parts)


def crosstab_html(table: pd.DataFrame, other: str) -> str:
    """This run's types (rows) against another config's (columns), with the share on the diagonal."""
    square = table.set_index("type")
    same = sum(int(square.at[k, k]) for k in square.index if k in square.columns)
    total = int(square.to_numpy().sum())
    intro = (f"<p>이 설정의 유형(행)과 {html.escape(other)} 설정의 유형(열): {same}/{total} 지역이 같은 유형.<br>"
             f"This config's types (rows) against those of {html.escape(other)} (columns): {same} of {total} "
             f"regions have the same type.</p>")
    return intro + _table(table)
