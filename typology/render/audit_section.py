"""The statistical audit as a report section (escaped HTML) from the audit tables.

Each statistic is read out in a sentence where it appears, per dimension: what the value says
about that dimension's indicators and, when it signals a problem, what the user can change.
"""

from __future__ import annotations

import html
from functools import partial

import pandas as pd

from ..core.catalog import DIMENSIONS
from .tables import column_label, table_html

esc = html.escape
ALPHA_GOOD = 0.7  # the usual reading (Nunnally 1978); with two to four indicators α runs low anyway


def _num(value: object, digits: int = 3) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def _keys(value: object) -> list[str]:
    return [k for k in ("" if value is None or pd.isna(value) else str(value)).split(";") if k]


def alpha_sentence(name: str, row: pd.Series, names: dict[str, str]) -> str:
    """What α says about one dimension, and what to do when it signals a problem (escaped HTML)."""
    alpha = row["alpha"]
    against = [names.get(k, k) for k in _keys(row["against_rest"]) or _keys(row["pulling_against"])]
    listed = ", ".join(esc(a) for a in against)
    if pd.isna(alpha):
        return (f"{esc(name)}: 지표가 하나뿐이라 α를 계산할 수 없다 "
                "<span class=en>(one indicator: α is not defined)</span>.")
    if alpha < 0:
        return (f"<strong>{esc(name)}: α = {alpha:.3f} (음수)</strong>. 이 차원의 지표들이 서로 반대 방향으로 움직인다 "
                f"(지표 간 평균 상관 {_num(row['mean_inter_corr'], 2)}"
                f"{f'; 반대로 움직이는 지표: {listed}' if listed else ''}). 차원 점수에서 이 지표들이 서로 "
                "상쇄되므로, 점수는 한 가지 역량을 한 방향으로 재지 못한다. 할 수 있는 일: 각 지표의 방향 "
                "(indicators.csv의 direction)이 연구의 뜻과 맞는지 확인하기, 반대로 움직이는 지표를 빼거나 "
                "다른 지표로 바꾸기 (설정의 indicators), 또는 이 차원의 점수 대신 지표를 따로 읽기. "
                f"<span class=en>Negative α: the indicators of {esc(name)} move in opposite directions, so they "
                "cancel out in the dimension score, which then measures no single thing. Check each indicator's "
                "direction, drop or replace the indicator that pulls against the rest (config key indicators), "
                "or read the indicators separately.</span>")
    if alpha < 0.5:
        return (f"{esc(name)}: α = {alpha:.3f}, 낮음. 지표들이 거의 함께 움직이지 않아 차원 점수는 서로 다른 것을 "
                "평균한 값에 가깝다; 점수 차이를 지표별로 확인하는 것이 좋다. <span class=en>Low: the indicators "
                "hardly move together; the score averages different things, so look at the indicators.</span>")
    if alpha < ALPHA_GOOD:
        return (f"{esc(name)}: α = {alpha:.3f}, 보통. 지표들이 어느 정도 함께 움직이지만 관례적 기준 0.7에는 "
                "못 미친다 (지표가 2–4개뿐이면 α는 원래 낮게 나온다). <span class=en>Moderate: some agreement, "
                "below the usual 0.7 (few indicators keep α low).</span>")
    return (f"{esc(name)}: α = {alpha:.3f}, 양호. 지표들이 함께 움직여 한 차원으로 묶을 만하다. "
            "<span class=en>Consistent: the indicators move together.</span>")


def pc1_sentence(row: pd.Series) -> str:
    share, m = row["pc1_share"], row["indicators"]
    if pd.isna(share) or pd.isna(m) or int(m) < 2:
        return ""
    chance = 1 / int(m)
    strength = "하나의 축이 뚜렷하다" if share >= 0.6 else "한 축으로 요약하기에는 약하다"
    return (f" 제1주성분이 지표 분산의 {share:.0%}를 설명한다 (지표가 서로 무관하면 {chance:.0%}): {strength}. "
            f"<span class=en>The first principal component explains {share:.0%} of the variance ({chance:.0%} "
            "if the indicators were unrelated).</span>")


def correlation_sentences(dim: pd.DataFrame, names: dict[str, str]) -> str:
    """The strongest and any negative correlation between dimension scores, in words."""
    pairs = [(a, b, float(dim.at[a, f"corr_{b}"])) for i, a in enumerate(DIMENSIONS) for b in DIMENSIONS[i + 1:]
             if a in dim.index and not pd.isna(dim.at[a, f"corr_{b}"])]
    if not pairs:
        return ""
    a, b, r = max(pairs, key=lambda p: (abs(p[2]), p[0], p[1]))
    out = (f"<p>가장 강한 관계: {esc(names.get(a, a))}–{esc(names.get(b, b))} r = {r:+.2f}. "
           "0.7을 넘는 상관은 두 차원이 거의 같은 것을 잰다는 뜻이고, 0에 가까우면 서로 독립적이다. ")
    negative = [p for p in pairs if p[2] < -0.1]
    if negative:
        listed = ", ".join(f"{esc(names.get(x, x))}–{esc(names.get(y, y))} ({r:+.2f})" for x, y, r in negative)
        out += f"음의 상관 ({listed})은 한 차원이 높은 지역에서 다른 차원이 낮다는 뜻이다. "
    return out + ("<span class=en>Pearson correlation of the dimension scores: above 0.7 two dimensions measure "
                  "nearly the same thing; near 0 they are independent; negative, one is high where the other is "
                  "low.</span></p>")


def audit_html(table: pd.DataFrame, imputations: pd.DataFrame, dimension_names: dict[str, str]) -> str:
    """The audit as escaped HTML: a reading per dimension, then the indicator, dimension and correlation tables."""
    ind = table[table["level"] == "indicator"]
    dim = table[table["level"] == "dimension"].set_index("dimension")
    ind_names = dict(zip(ind["indicator"], ind["name_ko"]))
    label = partial(column_label, dims=dimension_names)
    readings = "".join(f"<li>{alpha_sentence(dimension_names.get(d, d), row, ind_names)}{pc1_sentence(row)}</li>"
                       for d, row in dim.iterrows())
    intro = ("<p>크론바흐 α는 한 차원 안 지표들이 함께 움직이는 정도(내적 일관성)이다: 1에 가까울수록 일관되고, "
             "0.7 이상이면 대개 양호로 읽으며, 음수이면 지표들이 서로 반대로 움직인다. 제1주성분(PC1) 비율은 지표 "
             "분산 가운데 하나의 축이 설명하는 몫이다. <span class=en>Cronbach's α is how far a dimension's "
             "indicators move together (0.7 or more is usually read as consistent; negative means they move "
             "against each other); the PC1 share is the part of their variance one axis explains.</span></p>")
    ind_note = ("<p class=note>왜도·첨도는 분포의 치우침과 꼬리 두께이다 (설정 scoring.treat의 한계, 기본 |왜도| > 2 "
                "그리고 첨도 > 3.5를 넘으면 윈저화 또는 로그 변환: '처리' 열). '나머지 지표와 상관'이 음수인 지표는 "
                "같은 차원의 다른 "
                "지표와 반대로 움직인다. <span class=en>Skewness and kurtosis describe the shape of the "
                "distribution; indicators beyond the limits of scoring.treat are winsorised or log-transformed "
                "(column treatment). "
                "A negative r with the rest means the indicator moves against its dimension.</span></p>")
    ind_cols = ["dimension", "name_ko", "indicator", "n", "missing", "imputed", "min", "max", "mean", "skew",
                "kurtosis", "treatment", "treatment_detail", "weight", "corr_dimension", "corr_rest"]
    dim_cols = ["indicators", "units_complete", "alpha", "pc1_share", "mean_inter_corr", "weight", "against_rest"]
    dim_shown = dim[dim_cols].rename(index=dimension_names).rename_axis("dimension")
    shown_ind = ind[ind_cols].assign(dimension=ind["dimension"].map(lambda d: dimension_names.get(d, d)))
    corr = dim[[f"corr_{d}" for d in [*DIMENSIONS, "composite"]]].rename(index=dimension_names)
    corr = corr.rename_axis("dimension")
    n_imputed = len(imputations)
    imputed = (f"<p>대체된 값 <span class=en>(imputed cells)</span>: {n_imputed}. "
               + ("결측을 채운 값이 없다: 결측 지표가 있는 지역은 관측된 지표만으로 점수를 받았다 (scoring.min_share). "
                  "<span class=en>No cell was imputed.</span>" if n_imputed == 0 else
                  "채운 값은 imputations.csv에 방법과 함께 있고, scores.csv의 imputed_indicators 열에 표시된다. "
                  "<span class=en>Each imputed cell is listed in imputations.csv.</span>") + "</p>")
    return "\n".join([
        intro, f"<ul>{readings}</ul>",
        "<h3>지표별 <span class=en>(indicators)</span></h3>", ind_note, table_html(shown_ind, label),
        "<h3>차원별 <span class=en>(dimensions)</span></h3>", table_html(dim_shown, label, index=True),
        "<h3>차원 간 상관 <span class=en>(correlations between dimensions)</span></h3>",
        correlation_sentences(dim, dimension_names), table_html(corr, label, index=True), imputed])

