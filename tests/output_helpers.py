"""Helpers shared by the output tests (map, report, workbook, browser)."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd

from typology.core.catalog import Indicator
from typology.core.result import RunResult

# A name that would run script if any output put data into HTML unescaped.
EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"중구'


def evil_run(result: RunResult, code: str = "11020", indicator: str = "staff_per_1000") -> RunResult:
    """The same run with one region name and one indicator name replaced by ``EVIL``.

    The indicator has missing values, so its name also shows in the units' coverage notes.
    """
    units = result.units.copy()
    units.loc[units["code"] == code, "name_ko"] = EVIL
    indicators = [Indicator(i.key, {**i.spec, "name_ko": EVIL}) if i.key == indicator else i
                  for i in result.indicators]
    catalog = dataclasses.replace(result.catalog, indicators={
        **result.catalog.indicators, indicator: next(i for i in indicators if i.key == indicator)})
    return dataclasses.replace(result, units=units, indicators=indicators, catalog=catalog)


def map_data(html: str) -> dict:
    match = re.search(r'<script id="typology-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "map.html has no data block"
    return json.loads(match.group(1))


CONDITION = re.compile(r"^\s*(>=|<=|>|<)\s*(mean|median|[-+]?[\d.]+)\s*(?:([-+])\s*([\d.]+))?\s*$")


def rule_types(table: pd.DataFrame, typology: dict) -> pd.Series:
    """Each unit's type by the config's rules, recomputed from its dimension scores without the package's
    rule engine, so that counts in the outputs are checked against the data, not copied from a run.

    An axis is the mean of its dimensions (it must equal the table's ``axis_`` column); ``mean`` and
    ``median`` are over the units with a value; types are tried in order and the first whose
    conditions all hold wins; a unit without a value on an axis that a type tried needs is unclassified.
    """
    axes = {name: table[spec["dimensions"]].astype(float).mean(axis=1, skipna=False)
            for name, spec in typology["axes"].items()}
    for name, values in axes.items():
        if f"axis_{name}" in table:
            np.testing.assert_allclose(values, table[f"axis_{name}"].astype(float), atol=1e-9)
    out = pd.Series(typology["unclassified"]["key"], index=table.index)
    undecided = pd.Series(True, index=table.index)
    for spec in typology["types"]:
        holds = undecided.copy()
        for axis, text in (spec.get("when") or {}).items():
            op, ref, sign, offset = CONDITION.match(str(text)).groups()
            values = axes[axis]
            level = {"mean": values.mean(), "median": values.median()}.get(ref)
            level = float(ref) if level is None else level
            level += (-1 if sign == "-" else 1) * float(offset or 0)
            known = values.notna()
            undecided &= known  # a unit that cannot be tested here is never typed by a later rule either
            holds &= known & {">=": values >= level, ">": values > level, "<=": values <= level,
                              "<": values < level}[op]
        out[holds] = spec["key"]
        undecided &= ~holds
    return out
