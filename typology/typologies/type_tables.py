"""Tables and report sections of the typology step: types with their policy packages, cluster
profiles, the choice of k, rule-vs-cluster agreement and stability.

Every string that reaches HTML goes through ``html.escape`` or ``DataFrame.to_html`` (which
escapes), because type names and policy texts come from user configs.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

Section = tuple[str, str, str, str]  # key, title_ko, title_en, html (already escaped)


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def types_table(typology: dict[str, Any], typed: pd.DataFrame, scores: pd.DataFrame, rules: Any) -> pd.DataFrame:
    """One row per type in the config (and the unclassified bin): size, profile and policy package."""
    axes = rules.axis_scores(scores)
    rows = []
    for spec in [*typology["types"], typology["unclassified"]]:
        members = typed.index[typed["type"] == spec["key"]]
        row = {"key": spec["key"], "name_ko": spec["name_ko"], "name_en": spec["name_en"],
               "extension": bool(spec.get("extension", False)), "regions": len(members)}
        for dim in scores.columns:
            row[f"mean_{dim}"] = round(float(scores.loc[members, dim].mean()), 4) if len(members) else np.nan
        for axis in axes.columns:
            row[f"mean_axis_{axis}"] = round(float(axes.loc[members, axis].mean()), 4) if len(members) else np.nan
        if "type_unstable" in typed:
            row["unstable_regions"] = int(typed.loc[members, "type_unstable"].fillna(False).sum())
        row["policy_ko"] = _text(spec.get("policy_ko"))
        row["policy_en"] = _text(spec.get("policy_en"))
        rows.append(row)
    return pd.DataFrame(rows)


def cluster_table(clusters: pd.Series, scores: pd.DataFrame, named: pd.DataFrame, stab: Any,
                  typed: pd.DataFrame, dim_names: dict[str, str]) -> pd.DataFrame:
    """One row per cluster: size, centroid (mean of each dimension and axis), named type, stability."""
    profile = scores.groupby(clusters).mean().round(4)
    out = pd.DataFrame({"cluster": profile.index.astype(int), "size": clusters.value_counts().reindex(profile.index)})
    out["type"] = named["type"]
    out["type_ko"] = named["type_ko"]
    out["type_en"] = named["type_en"]
    for dim in scores.columns:
        out[f"mean_{dim}"] = profile[dim]
    for col in [c for c in named.columns if c.startswith("axis_")]:
        out[f"mean_{col}"] = named[col].round(4)
    out["jaccard"] = stab.jaccard.reindex(profile.index).round(4) if stab is not None else np.nan
    unstable = typed["type_unstable"].fillna(False).groupby(typed["cluster"]).sum()
    out["unstable_regions"] = unstable.reindex(profile.index).fillna(0).astype(int)
    out["centroid_reason"] = named["why"]
    return out.reset_index(drop=True)


def stability_table(stab: Any, typed: pd.DataFrame, typology: dict[str, Any], kind: str) -> pd.DataFrame:
    """Per original group (type under rules, cluster otherwise): Jaccard stability and unstable members."""
    column = "type" if kind == "type" else "cluster"
    rows = []
    for group, jac in stab.jaccard.items():
        members = typed.index[typed[column] == group]
        row = {"group_kind": kind, "group": group, "type": typed.loc[members, "type"].iloc[0],
               "regions": len(members), "jaccard": round(float(jac), 4),
               "mean_type_stability": round(float(typed.loc[members, "type_stability"].mean()), 4),
               "unstable_regions": int(typed.loc[members, "type_unstable"].fillna(False).sum()),
               "bootstrap_n": stab.n}
        rows.append(row)
    return pd.DataFrame(rows)


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="typology-table", na_rep="",
                         float_format=lambda v: f"{v:.3f}")


def types_section(types: pd.DataFrame, method: str, unclassified: str) -> Section:
    parts = [f"<p>{html.escape(f'방법 method: {method}')}</p>", "<dl>"]
    for _, row in types.iterrows():
        if row["key"] == unclassified and row["regions"] == 0:
            continue
        mark = " [이 프로젝트의 확장 유형 · project extension, not named by the study]" if row["extension"] else ""
        head = f"{row['name_ko']} ({row['name_en']}) · {row['regions']} 지역 regions{mark}"
        parts.append(f"<dt>{html.escape(head)}</dt>")
        parts.append(f"<dd lang=\"ko\">{html.escape(row['policy_ko'])}</dd>")
        parts.append(f"<dd lang=\"en\">{html.escape(row['policy_en'])}</dd>")
    parts.append("</dl>")
    cols = [c for c in types.columns if c not in ("policy_ko", "policy_en")]
    parts.append(_table_html(types[cols]))
    return ("types", "유형과 정책 패키지", "Types and policy packages", "\n".join(parts))


def cluster_section(clusters: pd.DataFrame, method: str, k: int) -> Section:
    note = (f"{method}: k = {k}. 각 군집의 중심(차원 점수 평균)을 설정의 유형 규칙으로 판정해 이름을 붙였다. "
            "Each cluster's centroid is typed with the same rules as the regions.")
    return ("clusters", "군집 프로필", "Cluster profiles", f"<p>{html.escape(note)}</p>\n{_table_html(clusters)}")


def k_section(table: pd.DataFrame, k: int, opts: Any) -> Section:
    how = (f"k = {k} chosen by rule '{opts.k_rule}' (typology.k: auto)" if opts.k == "auto"
           else f"k = {k} set in the config (typology.k)")
    text = ("실루엣·Calinski–Harabasz는 클수록, Davies–Bouldin은 작을수록 좋다. "
            f"Silhouette and Calinski–Harabasz: higher is better; Davies–Bouldin: lower is better. {how}.")
    return ("k_selection", "군집 수 선택", "Choosing k",
            f"<p>{html.escape(text)}</p>\n{_table_html(table)}\n<p>{html.escape('Figure: k_selection.png')}</p>")


def agreement_section(table: pd.DataFrame, summary: dict[str, float]) -> Section:
    text = (f"조정 랜드 지수 (ARI) adjusted Rand index, cluster types vs rule types: "
            f"{summary['ari_cluster_type_vs_rule_type']:.3f}; clusters vs rule types: "
            f"{summary['ari_cluster_vs_rule_type']:.3f}; same type: {summary['share_same_type']:.1%} of "
            f"{summary['regions_compared']} regions.")
    return ("agreement", "규칙 유형과 군집 유형의 일치", "Agreement of rule types and cluster types",
            f"<p>{html.escape(text)}</p>\n{_table_html(table)}")


def stability_section(table: pd.DataFrame, typed: pd.DataFrame, opts: Any) -> Section:
    unstable = typed.index[typed["type_unstable"].fillna(False).astype(bool)]
    text = (f"지역 부트스트랩 {opts.bootstrap_n}회 (seed {opts.seed}): 유형 유지 확률이 {opts.unstable_below:g} 미만인 "
            f"지역 {len(unstable)}곳. Bootstrap over regions, {opts.bootstrap_n} replicates: {len(unstable)} regions "
            f"keep their type with probability below {opts.unstable_below:g} (column type_unstable in scores.csv). "
            "Jaccard below about 0.6 marks a group that does not hold up.")
    return ("stability", "유형 안정성", "Type stability", f"<p>{html.escape(text)}</p>\n{_table_html(table)}")


def warnings_section(messages: list[str]) -> Section:
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return ("typology_warnings", "유형화 경고", "Typology warnings", f"<ul>{items}</ul>")
