"""load → validate → score → classify: one run of a config, in memory.

Each step is a pure function of its inputs; ``steps`` records what ran with which
parameters so the manifest can rebuild any result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from ..core.catalog import DIMENSIONS, Catalog, Indicator, load_catalog
from ..data import units
from ..data.geometry import load_unit_geometry
from ..data.load import load_tables
from ..data.transform import YearPolicy, compute_indicators
from ..errors import TypologyError
from ..scoring.audit import audit
from ..scoring.score import score
from ..typologies.classify import classify
from .rebuild import key_order


@dataclass
class Section:
    """A block of the run's HTML report, contributed by a pipeline step.

    ``html`` must already be escaped: build it with ``html.escape`` or ``DataFrame.to_html``.
    """

    key: str
    title_ko: str
    title_en: str
    html: str


@dataclass
class RunResult:
    config: dict[str, Any]
    catalog: Catalog
    units: pd.DataFrame
    indicators: list[Indicator]
    raw: pd.DataFrame
    normalised: pd.DataFrame
    scores: pd.DataFrame
    typed: pd.DataFrame
    weights: pd.Series
    coverage: pd.DataFrame
    exclusions: pd.DataFrame
    inputs: list[Path]
    years: pd.DataFrame  # per indicator: the variable years used and their gap from reference_year
    steps: list[dict[str, Any]] = field(default_factory=list)
    # Extra outputs that later steps contribute without touching the writer: each table is
    # written as <name>.csv, each figure as <name>.png, and each section is rendered by the
    # report.
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)  # PNG bytes, written as <name>.png

    def table(self) -> pd.DataFrame:
        """The flat results table: one row per unit (what scores.csv holds)."""
        u = self.units.set_index("code")
        out = pd.DataFrame({"code": u.index, "name": u["name_ko"], "name_en": u["name_en"],
                            "sido": u["sido_ko"], "sido_en": u["sido_en"], "code_std5": u["code_std5"]},
                           index=u.index)
        for ind in self.indicators:
            out[ind.key] = self.raw[ind.key]
        for ind in self.indicators:
            out[f"{ind.key}_norm"] = self.normalised[ind.key]
        for dim in DIMENSIONS:
            out[dim] = self.scores[dim]
        out["composite"] = self.scores["composite"]
        out["composite_rank"] = out["composite"].rank(ascending=False, method="min").astype("Int64")
        out = out.join(self.typed)
        missing = self.raw.isna().reindex(out.index)
        out["missing_indicators"] = [";".join(c for c, gap in zip(missing.columns, row) if gap)
                                     for row in missing.to_numpy(dtype=bool)]
        return out.reset_index(drop=True)


def selected_indicators(config: dict[str, Any], catalog: Catalog) -> list[Indicator]:
    chosen: list[Indicator] = []
    for dim in DIMENSIONS:
        for key in config["indicators"].get(dim) or []:
            ind = catalog.indicator(key, f"config key indicators.{dim}")
            if ind.dimension != dim:
                raise TypologyError(
                    f"config key indicators.{dim}: {key!r} belongs to dimension {ind.dimension!r} in the catalogue"
                )
            if key in [c.key for c in chosen]:
                raise TypologyError(f"config key indicators.{dim}: {key!r} listed twice")
            chosen.append(ind)
    return chosen


def run(config: dict[str, Any]) -> RunResult:
    catalog = load_catalog()
    matcher = units.matcher()
    unit_table = units.load_units()
    codes = pd.Index(unit_table["code"], name="code")
    chosen = selected_indicators(config, catalog)
    # Key order first: the manifest sorts the config's keys, and rebuild needs the original order.
    steps: list[dict[str, Any]] = [{"step": "config", "key_order": key_order(config)}]

    loaded = load_tables(config, catalog, matcher, paths.VARIABLES)
    variables = loaded.variables
    steps.append({"step": "load", "tables": [str(p) for p in loaded.inputs], "rows": len(variables),
                  "accounting": loaded.accounting})

    policy = YearPolicy(reference_year=int(config["reference_year"]), max_gap=int(config["data"]["max_year_gap"]),
                        on_gap=config["data"]["on_year_gap"])
    raw, years = compute_indicators(variables, chosen, codes, policy)
    steps.append({"step": "transform", "reference_year": policy.reference_year, "max_year_gap": policy.max_gap,
                  "on_year_gap": policy.on_gap, "indicators": years.set_index("indicator")["variables"].to_dict()})

    scored = score(raw, chosen, config["scoring"], groups=unit_table.set_index("code")["sido_code"])
    steps += scored.steps
    score_frame = scored.scores
    checked = audit(raw, scored, chosen, unit_table, {d: catalog.dimensions[d]["name_ko"] for d in DIMENSIONS})

    typing = classify(score_frame[list(DIMENSIONS)], config["typology"], catalog, geometry=load_unit_geometry,
                      names=dict(zip(unit_table["code"], unit_table["name_ko"])))
    typed = typing.typed.reindex(codes)
    steps += typing.steps
    typed = typed.join(scored.flags())  # imputed_indicators, next to missing_indicators in scores.csv

    coverage = coverage_table(catalog, chosen, raw, score_frame, scored.shares, years)
    exclusions = exclusion_table(unit_table, raw, score_frame, typed, chosen,
                                 config["typology"]["unclassified"]["key"])
    result = RunResult(config, catalog, unit_table, chosen, raw, scored.normalised, score_frame, typed,
                       scored.weights, coverage, exclusions, loaded.inputs, years, steps,
                       # unmatched: every input row not used as a unit value, with its reason
                       tables={"audit": checked.table, "imputations": checked.imputations,
                               "unmatched": loaded.unmatched},
                       sections=[Section("audit", "통계 감사", "Statistical audit", checked.html)])
    result.tables.update(typing.tables)
    result.figures.update(typing.figures)
    result.sections += [Section(*s) for s in typing.sections]
    return result


def coverage_table(catalog: Catalog, chosen: list[Indicator], raw: pd.DataFrame,
                   scores: pd.DataFrame, shares: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """How well each dimension is measured: study indicators covered, proxies, missing cells."""
    years_by = years.set_index("indicator")["years"].to_dict()
    status_by = years.set_index("indicator")["year_status"].to_dict()
    rows = []
    for dim in DIMENSIONS:
        in_use = [i for i in chosen if i.dimension == dim]
        study = sorted({i.spec["study_indicator"] for i in catalog.indicators.values() if i.dimension == dim})
        covered = sorted({i.spec["study_indicator"] for i in in_use})
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
