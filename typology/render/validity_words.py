"""The validity audit's rows (validity.csv) read out for people: Korean first, English beside.

The map's popups and report.html both read them from here. Every row is read, whatever its
``measure``: the ones known here get a sentence, any other (a measure added to the audit later)
is still shown, by its statistic and value, with its names translated where they are known.
The words are plain text; the callers escape them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

# (Korean, English) names of what validity.csv's columns hold.
MEASURES = {"confounder": ("교란 요인", "confounders"), "redundancy": ("중복 계산", "double counting"),
            "leave_one_out": ("지표 하나 빼기", "leave one indicator out"),
            "criterion": ("기준 변수", "criterion variables"),
            "discrete_range": ("이산 지표의 범위", "discrete indicators' range"),
            "adjustment": ("공변량 보정", "covariate adjustment"),
            "coherence": ("내적 일관성", "internal consistency"),
            "baseline": ("규모만으로 본 기준선", "size-only baseline"),
            "type_by_class": ("자치구/시/군별 유형 비율", "type shares by 자치구/시/군 class"),
            "decides": ("유형을 바꿀 수 있는 차원", "dimensions that can change a type"),
            "convergent": ("수렴 타당성 (예상한 부호)", "convergent validity (expected sign)"),
            "discriminant": ("변별 타당성", "discriminant validity")}
STATISTICS = {"R2": ("R²", "설명된 분산 비율 (단순회귀)", "share of variance explained, simple regression"),
              "eta2": ("η²", "집단 간 분산 비율", "between-group share of variance"),
              "cramers_v2": ("Cramér's V²", "유형과 집단의 연관 (0 = 무관, 1 = 집단이 유형을 정함)",
                             "association of type and group (0 none, 1 the group decides the type)"),
              "pearson_r": ("r", "피어슨 상관", "Pearson correlation"),
              "spearman_rho": ("ρ", "스피어만 순위상관", "Spearman rank correlation"),
              "regions_changed": ("바뀐 지역 수", "유형이 바뀌는 지역 수", "regions changing type"),
              "units_outside": ("범위 밖 지역 수", "연속 지표 범위를 벗어난 지역 수",
                                "units outside the continuous indicators' range"),
              "max_abs": ("최대 |값|", "가장 큰 절댓값", "largest absolute value"),
              "cronbach_alpha": ("α", "크론바흐 α", "Cronbach's alpha"),
              "mcdonald_omega": ("ω", "맥도널드 ω", "McDonald's omega"),
              "item_rest_r": ("r(지표, 나머지)", "지표와 같은 차원 나머지의 상관", "corrected item-rest correlation"),
              "cronbach_alpha_dimensions": ("α(차원)", "축 안 차원 점수의 크론바흐 α",
                                            "Cronbach's alpha of the axis's dimensions"),
              "share_agree": ("일치율", "유형이 같은 지역의 비율", "share of regions with the same type"),
              "cohen_kappa": ("κ", "코헨 카파 (우연 일치 보정)", "Cohen's kappa (chance-corrected agreement)"),
              "ari": ("ARI", "수정 랜드 지수", "adjusted Rand index"),
              "auc": ("AUC", "로지스틱 모형의 판별력", "area under the ROC curve of the logistic model"),
              "share": ("비율", "비율", "share"),
              "can_change_type": ("유형 변경 가능", "1이면 이 차원이 유형을 바꿀 수 있음",
                                  "1 if this dimension can change a type"),
              "partial_rho_log_population": ("부분 ρ", "인구 규모(로그)를 통제한 순위상관",
                                             "rank correlation with log population partialled out"),
              "abs_rho_difference": ("|ρ| 차이", "선언한 축과 다른 축의 |ρ| 차이",
                                     "|ρ| of the declared axis minus the largest other")}
# (Korean, English) headers of validity.csv's columns.
HEADERS = {"target": ("대상", "target"), "against": ("비교 대상", "compared with"),
           "statistic": ("통계량", "statistic"), "value": ("값", "value"), "n": ("지역 수", "regions"),
           "flag": ("표시", "flag"), "detail": ("내용", "detail")}
AGAINST = {"log_population": ("인구 규모(로그)", "log population"),
           "class": ("자치구/시/군 구분", "자치구/시/군 class"), "sido": ("시도", "시도 (province)"),
           "log_density": ("인구밀도(로그)", "log population density"),
           "class_rule": ("자치구/시/군 구분만의 규칙", "class-only rule"),
           "logistic_log_population": ("인구 규모(로그) 로지스틱 회귀", "logistic regression on log population")}
FLAGS = {"decisive": ("결정적", "decisive"), "double counting": ("중복 계산", "double counting"),
         "outside continuous range": ("연속 지표 범위 밖", "outside the continuous range"),
         "replaced by residual": ("잔차로 대체", "replaced by its residual"), "skipped": ("건너뜀", "skipped"),
         "negative": ("음수", "negative"), "cannot change type": ("유형을 바꾸지 못함", "cannot change type"),
         "holds": ("성립", "holds"), "does not hold": ("성립하지 않음", "does not hold"),
         "decides types": ("유형을 정하는 축", "decides types")}
# A flag with the config's threshold in it (validity/coherence.py: "alpha below 0.6").
_ALPHA_BELOW = re.compile(r"alpha below (\S+)")
# Code keys inside validity.csv's free-text detail: "axis:society", "society_led", "grdp_per_capita".
_KEY = re.compile(r"axis:[A-Za-z0-9_]+|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


class Names:
    """How the run names its dimensions, axes and indicators, in Korean and English."""

    def __init__(self, dims: Mapping[str, tuple[str, str]], axes: Mapping[str, tuple[str, str]],
                 indicators: Mapping[str, tuple[str, str]], types: Mapping[str, tuple[str, str]] | None = None) -> None:
        self.dims, self.axes, self.indicators = dims, axes, indicators
        self.types = types or {}

    @classmethod
    def of(cls, result: Any) -> Names:
        dims = {d: (v["name_ko"], v["name_en"]) for d, v in result.catalog.dimensions.items()}
        dims["composite"] = ("종합점수", "composite score")
        dims["type"] = ("유형", "type")
        typology = result.settings.typology
        axes = {k: (str(v.get("name_ko", k)), str(v.get("name_en", k)))
                for k, v in (typology.axes or {}).items()}
        # The whole catalogue: criterion variables are indicators the run does not score.
        inds = {k: (i.spec.get("name_ko", k), i.spec.get("name_en", k)) for k, i in result.catalog.indicators.items()}
        inds.update({i.key: (i.spec["name_ko"], i.spec["name_en"]) for i in result.indicators})
        types = {str(t["key"]): (str(t.get("name_ko", t["key"])), str(t.get("name_en", t["key"])))
                 for t in [*typology.types, typology.unclassified]}
        return cls(dims, axes, inds, types)

    def target(self, key: Any) -> tuple[str, str]:
        text = _plain(key)
        if text.startswith("axis:"):
            axis = text.removeprefix("axis:")
            ko, en = self.axes.get(axis, (axis, axis))
            return ko, en
        return self.dims.get(text) or self.indicators.get(text) or self.types.get(text) or (text, text)

    def against(self, key: Any) -> tuple[str, str]:
        text = _plain(key)
        if " ~ " in text:
            pair = [self.against(part) for part in text.split(" ~ ")]
            return " ~ ".join(p[0] for p in pair), " ~ ".join(p[1] for p in pair)
        if " + " in text:
            parts = [self.against(part) for part in text.split(" + ")]
            return " + ".join(p[0] for p in parts), " + ".join(p[1] for p in parts)
        return (AGAINST.get(text) or self.indicators.get(text) or self.dims.get(text) or self.types.get(text)
                or (text, text))

    def detail(self, text: Any) -> str:
        """validity.csv's free-text detail with every code key in it named (in Korean): "axis:society" → "사회 축"."""
        def name(match: re.Match[str]) -> str:
            key = match.group(0)
            if key.startswith("axis:"):
                return self.target(key)[0]
            known = self.indicators.get(key) or self.types.get(key) or AGAINST.get(key) or self.dims.get(key)
            return known[0] if known else key

        return _KEY.sub(name, _plain(text))


def _plain(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def number(value: Any, digits: int = 2) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def statistic(key: Any) -> tuple[str, str, str]:
    """(symbol, Korean, English) of a statistic; an unknown one is named as it is."""
    text = _plain(key)
    return STATISTICS.get(text, (text, text, text))


def measure(key: Any) -> tuple[str, str]:
    text = _plain(key)
    return MEASURES.get(text, (text, text))


def flag(key: Any) -> tuple[str, str]:
    """(Korean, English) of a flag; flags joined with "; " are read one by one."""
    text = _plain(key)
    if text in FLAGS:
        return FLAGS[text]
    if "; " in text:
        parts = [flag(part) for part in text.split("; ")]
        return "; ".join(p[0] for p in parts), "; ".join(p[1] for p in parts)
    below = _ALPHA_BELOW.fullmatch(text)
    if below:
        return f"α가 {below.group(1)} 미만", text
    return text, text


def sentence(row: Mapping[str, Any], names: Names) -> tuple[str, str]:
    """One row of validity.csv as a sentence (Korean, English), for any measure."""
    kind = _plain(row.get("measure"))
    value = row.get("value")
    against_ko, against_en = names.against(row.get("against"))
    symbol, stat_ko, stat_en = statistic(row.get("statistic"))
    if kind == "confounder" and not pd.isna(value):
        if _plain(row.get("statistic")) == "cramers_v2":
            return (f"유형과 {against_ko}의 연관 {symbol} = {number(value)} (0 = 무관, 1 = 완전히 겹침)",
                    f"association of the type with {against_en}: {symbol} = {number(value)} (0 none, 1 complete)")
        return (f"{against_ko}로 설명되는 차이 {float(value):.0%} ({symbol} = {number(value)})",
                f"{float(value):.0%} of the differences explained by {against_en} ({symbol} = {number(value)})")
    if kind == "criterion" and not pd.isna(value):
        return (f"기준 변수 '{against_ko}'(채점에 쓰지 않음)와 순위상관 {symbol} = {float(value):+.2f}",
                f"rank correlation with the criterion '{against_en}' (not used in scoring): "
                f"{symbol} = {float(value):+.2f}")
    m_ko, m_en = measure(kind)
    flag_ko, flag_en = flag(row.get("flag"))
    shown = number(value, 3)
    about = f" · {against_ko}" if against_ko else ""
    about_en = f" · {against_en}" if against_en else ""
    stat_ko = stat_ko if symbol in stat_ko else f"{stat_ko} {symbol}"
    return (f"{m_ko}{about}: {stat_ko} = {shown}" + (f" ({flag_ko})" if flag_ko else ""),
            f"{m_en}{about_en}: {stat_en} = {shown}" + (f" ({flag_en})" if flag_en else ""))


# Measures read per dimension elsewhere (the report's tables); any other measure about one of an
# axis's dimensions (one added to the audit later) is read with the axis.
PER_DIMENSION = {"confounder", "redundancy", "criterion", "discrete_range", "adjustment", "leave_one_out"}


# What a reader of one region needs about an axis; the full audit is in the report and validity.csv.
# Item-level rows (item-rest r), partial correlations and |ρ| differences stay there.
POPUP_STATISTICS = {"coherence": {"cronbach_alpha", "mcdonald_omega", "pearson_r"},
                    "convergent": {"spearman_rho"}}
DIMENSION_STATISTICS = {"coherence": {"cronbach_alpha"}}


def _for_popup(row: dict[str, Any], declared: set[str]) -> bool:
    keep = POPUP_STATISTICS.get(_plain(row.get("measure")))
    if keep is not None:
        return _plain(row.get("statistic")) in keep and not pd.isna(row.get("value"))
    if row.get("measure") == "criterion":  # a declared criterion is shown once, as its convergent row
        return _plain(row.get("against")) not in declared
    return row.get("measure") not in ("discriminant",)


def axis_findings(table: pd.DataFrame | None, axis: str, names: Names,
                  dimensions: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The audit's findings about one axis (``target == axis:<key>``) that a reader of one region needs:
    its coherence, what it follows, its criteria; and each of its dimensions' α. Measures not known
    here are shown whole, so a new measure appears without more work."""
    if table is None or table.empty:
        return []
    target = table["target"].astype(str)
    measure = table["measure"].astype(str)
    axis_rows = table[target == f"axis:{axis}"]
    declared = {_plain(a) for a in axis_rows.loc[axis_rows["measure"] == "convergent", "against"]}
    per_dim = table[~measure.isin(PER_DIMENSION) & target.isin(dimensions)]
    out = []
    for row in axis_rows.to_dict("records"):
        if _for_popup(row, declared):
            out.append(sentence(row, names))
    for row in per_dim.to_dict("records"):
        keep = DIMENSION_STATISTICS.get(_plain(row.get("measure")))
        if keep is not None and (_plain(row.get("statistic")) not in keep or pd.isna(row.get("value"))):
            continue
        ko, en = sentence(row, names)
        dim_ko, dim_en = names.target(row.get("target"))
        out.append((f"{dim_ko} {ko}", f"{dim_en}: {en}"))
    return out
