"""Tables for report.html with Korean column names first and the English name beside.

The report's tables come from frames whose columns are the CSV names (``alpha``, ``mean_civic``,
``rules_society_led``); a reader of the report should not have to know them. ``column_label``
names a column in both languages, from a fixed list and from the dimension, axis and type names
of the run for the columns made per dimension or per type. Every string is escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

esc = html.escape

COLUMNS: dict[str, tuple[str, str]] = {
    # audit
    "dimension": ("차원", "dimension"), "indicator": ("지표 키", "indicator key"), "name_ko": ("이름", "name"),
    "n": ("관측 지역", "observed"), "missing": ("결측", "missing"), "imputed": ("대체", "imputed"),
    "min": ("최솟값", "min"), "max": ("최댓값", "max"), "mean": ("평균", "mean"), "sd": ("표준편차", "sd"),
    "skew": ("왜도", "skewness"), "kurtosis": ("첨도", "kurtosis"), "outlier": ("이상값 처리 대상", "outliers"),
    "treatment": ("처리", "treatment"), "treatment_detail": ("처리 내용", "treatment detail"),
    "weight": ("가중치", "weight"), "corr_dimension": ("차원 점수와 상관", "r with dimension"),
    "corr_rest": ("나머지 지표와 상관", "r with the rest"), "indicators": ("지표 수", "indicators"),
    "units_complete": ("모든 지표가 있는 지역", "complete regions"), "alpha": ("크론바흐 α", "Cronbach's α"),
    "pc1_share": ("제1주성분 설명 비율", "PC1 share"), "mean_inter_corr": ("지표 간 평균 상관", "mean inter-r"),
    "pulling_against": ("차원 점수와 반대인 지표", "against the dimension"),
    "against_rest": ("나머지와 반대인 지표", "against the rest"), "composite": ("종합점수", "composite"),
    # typology tables
    "key": ("키", "key"), "name_en": ("영문 이름", "English name"), "extension": ("확장 유형", "extension"),
    "regions": ("지역 수", "regions"), "unstable_regions": ("불안정 지역", "unstable regions"),
    "cluster": ("군집", "cluster"), "size": ("지역 수", "regions"), "type": ("유형 키", "type key"),
    "type_ko": ("유형", "type"), "type_en": ("유형 (영문)", "type, English"),
    "jaccard": ("자카드 유지율", "Jaccard"), "centroid_reason": ("중심의 유형 판정", "why the centroid has this type"),
    "k": ("군집 수", "k"), "chosen": ("선택", "chosen"), "clusters_found": ("찾은 군집", "clusters found"),
    "silhouette": ("실루엣", "silhouette"), "calinski_harabasz": ("칼린스키–하라바스", "Calinski–Harabasz"),
    "davies_bouldin": ("데이비스–볼딘", "Davies–Bouldin"), "mean_rank": ("평균 순위", "mean rank"),
    "cluster_type": ("군집 유형", "cluster type"), "total": ("합계", "total"),
    "group_kind": ("묶음 종류", "group kind"), "group": ("묶음", "group"),
    "mean_type_stability": ("유형 유지 확률 평균", "mean type stability"),
    "bootstrap_n": ("부트스트랩 횟수", "bootstrap replicates"),
}
KIND_WORDS = {"cluster": "군집 (cluster)", "type": "유형 (type)"}


def column_label(column: str, dims: Mapping[str, str], axes: Mapping[str, str] | None = None,
                 types: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(Korean, English) for a column; dimension, axis and type names come from the run."""
    axes, types = axes or {}, types or {}
    if column in COLUMNS:
        return COLUMNS[column]
    if column.startswith("mean_axis_"):
        axis = column.removeprefix("mean_axis_")
        return f"{axes.get(axis, axis)} 평균", f"mean {axis} axis"
    for prefix, ko, en in (("mean_", "평균", "mean"), ("corr_", "상관", "r with")):
        rest = column.removeprefix(prefix)
        if column.startswith(prefix):  # a name the run does not know stays as it is, in both languages
            return f"{dims.get(rest, COLUMNS.get(rest, (rest,))[0])} {ko}", f"{en} {rest}"
    if column.startswith("rules_"):
        key = column.removeprefix("rules_")
        return f"규칙: {types.get(key, key)}", f"rules: {key}"
    if column.endswith("_rank") and column.removesuffix("_rank") in COLUMNS:
        ko, en = COLUMNS[column.removesuffix("_rank")]
        return f"{ko} 순위", f"{en} rank"
    return column, column


def header(ko: str, en: str) -> str:
    return esc(ko) if ko == en else f"{esc(ko)} <span class=en>{esc(en)}</span>"


def cell(value: object, digits: int = 3) -> str:
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{'예 yes' if value else '–'}</td>"
    if isinstance(value, (int, np.integer)):
        return f"<td class=num>{int(value)}</td>"
    if isinstance(value, (float, np.floating)):
        return "<td class=num>–</td>" if np.isnan(value) else f"<td class=num>{value:.{digits}f}</td>"
    return f"<td>{esc('' if value is None or pd.isna(value) else str(value))}</td>"


def table_html(frame: pd.DataFrame, label: Callable[[str], tuple[str, str]],
               cells: Mapping[str, Callable[[object], str]] | None = None, index: bool = False) -> str:
    """A scrollable table with two-language headers; ``cells`` formats chosen columns' values (HTML)."""
    cells = cells or {}
    data = frame.reset_index() if index else frame
    head = "".join(f"<th scope=col>{header(*label(str(c)))}</th>" for c in data.columns)
    body = []
    for row in data.itertuples(index=False):
        tds = [cells[c](v) if c in cells else cell(v) for c, v in zip(data.columns, row)]
        body.append(f"<tr>{''.join(tds)}</tr>")
    return (f"<div class=scroll><table class=data><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")
