"""The run's own tables: coverage.csv (how well each dimension is measured), exclusions.csv (every
unit left out, with the reason) and, with ``validation.compare_with``, type_crosstab.csv."""

from __future__ import annotations

import pandas as pd

from ..core.catalog import DIMENSIONS, Catalog, Indicator


def type_crosstab(typed: pd.DataFrame, other: pd.DataFrame, other_name: str) -> pd.DataFrame:
    """Units by this run's type (rows) and the compared run's type (columns)."""
    table = pd.crosstab(typed["type_ko"].rename("type"), other["type_ko"].reindex(typed.index).rename(other_name))
    return table.reset_index()


def coverage_table(catalog: Catalog, chosen: list[Indicator], raw: pd.DataFrame,
                   scores: pd.DataFrame, shares: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """How well each dimension is measured: study indicators covered, proxies, missing cells."""
    years_by = years.set_index("indicator")["years"].to_dict()
    status_by = years.set_index("indicator")["year_status"].to_dict()
    rows = []
    for dim in DIMENSIONS:
        in_use = [i for i in chosen if i.dimension == dim]
        # A project indicator may name no study indicator (null): it covers none of them.
        study = sorted({i.spec["study_indicator"] for i in catalog.indicators.values()
                        if i.dimension == dim and i.spec.get("study_indicator") is not None})
        covered = sorted({i.spec["study_indicator"] for i in in_use if i.spec.get("study_indicator") is not None})
        proxies = [i.key for i in in_use if i.is_proxy]
        weak = [i.key for i in in_use if i.spec.get("weak")]
        if len(weak) == len(in_use):
            quality = "weak proxies only"
        elif len(proxies) == len(in_use):
            quality = "proxies only"
        elif proxies:
            quality = "partly proxies"
        else:
            quality = "direct measures"
        rows.append({
            "dimension": dim, "name_ko": catalog.dimensions[dim]["name_ko"],
            "indicators": ";".join(i.key for i in in_use),
            "study_indicators_covered": f"{len(covered)}/{len(study)}",
            "study_indicators_missing": ";".join(s for s in study if s not in covered),
            "proxies": ";".join(proxies), "quality": quality,
            "years": ";".join(sorted({y for i in in_use for y in years_by[i.key].split(";")})),
            "stale_indicators": ";".join(i.key for i in in_use if status_by[i.key] != "within range"),
            "missing_cells": int(raw[[i.key for i in in_use]].isna().sum().sum()),
            "units_scored": int(scores[dim].notna().sum()),
            "units_unscored": int(scores[dim].isna().sum()),
            "units_partial": int(((shares[dim] < 1 - 1e-12) & scores[dim].notna()).sum()),
        })
    return pd.DataFrame(rows)


def exclusion_table(unit_table: pd.DataFrame, raw: pd.DataFrame, scores: pd.DataFrame,
                    typed: pd.DataFrame, chosen: list[Indicator], unclassified: str) -> pd.DataFrame:
    """Every unit left out of a dimension score or of the types, with the reason (exclusions.csv)."""
    names = unit_table.set_index("code")
    rows = []
    for dim in DIMENSIONS:
        keys = [i.key for i in chosen if i.dimension == dim]
        for code in scores.index[scores[dim].isna()]:
            missing = [k for k in keys if pd.isna(raw.at[code, k])]
            rows.append({"code": code, "name": names.at[code, "name_ko"], "sido": names.at[code, "sido_ko"],
                         "excluded_from": f"{dim} score", "reason": f"too few indicators observed; missing {missing}"})
    for code in typed.index[typed["type"] == unclassified]:
        rows.append({"code": code, "name": names.at[code, "name_ko"], "sido": names.at[code, "sido_ko"],
                     "excluded_from": "type", "reason": typed.at[code, "reason"]})
    return pd.DataFrame(rows, columns=["code", "name", "sido", "excluded_from", "reason"])
