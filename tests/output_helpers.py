"""Helpers shared by the output tests (map, report, workbook, browser)."""

from __future__ import annotations

import dataclasses
import json
import re

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
