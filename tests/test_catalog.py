from __future__ import annotations

import pytest
import yaml

from typology import paths
from typology.core.catalog import DIMENSIONS, INDICATOR_FIELDS, load_catalog
from typology.errors import TypologyError

# The thirteen indicators of the 2019 KRILA study, by dimension (DESIGN §2).
STUDY = {
    "economy": {"경제활동수준", "지역재정여건", "사업규모", "유입인구"},
    "civic": {"환경운동수준", "정치참여수준", "시민참여수준", "봉사활동수준"},
    "institution": {"주민참여수준", "참여예산제도", "정보공개수준"},
    "capacity": {"공무원 역량", "재정자립도"},
}


def test_catalog_has_all_thirteen_study_indicators():
    catalog = load_catalog()
    found = {d: {i.spec["study_indicator"] for i in catalog.indicators.values() if i.dimension == d}
             for d in DIMENSIONS}
    assert found == STUDY
    assert sum(len(v) for v in STUDY.values()) == 13


def test_every_entry_is_complete_and_proxies_say_why():
    catalog = load_catalog()
    for ind in catalog.indicators.values():
        for field in INDICATOR_FIELDS:
            assert field in ind.spec, (ind.key, field)
        assert ind.spec["name_ko"] and ind.spec["name_en"]
        if ind.spec.get("weak"):
            assert ind.spec.get("proxy"), f"{ind.key} is weak but does not say what it stands in for"


def test_unbundled_study_indicators_are_marked():
    catalog = load_catalog()
    unbundled = {i.spec["study_indicator"] for i in catalog.indicators.values() if not i.bundled}
    # No offline data exist for these (DESIGN §2); they must stay in the catalogue, marked.
    assert {"환경운동수준", "참여예산제도", "정보공개수준", "봉사활동수준"} <= unbundled


def test_bundled_means_every_variable_it_reads_has_bundled_values():
    # `bundled: true` promises the default data can compute the indicator: each variable it reads
    # has values in indicators/data/variables.csv; `bundled: false` says at least one has none.
    import pandas as pd

    catalog = load_catalog()
    values = pd.read_csv(paths.VARIABLES, usecols=["variable", "value"], encoding="utf-8-sig").dropna()
    with_values = set(values["variable"])
    for ind in catalog.indicators.values():
        refs = ind.refs()
        assert refs and all(r.variable in catalog.variables for r in refs), ind.key
        assert ind.bundled == all(r.variable in with_values for r in refs), ind.key


@pytest.fixture
def broken_catalog(tmp_path):
    raw = yaml.safe_load(paths.CATALOG.read_text(encoding="utf-8"))

    def write(mutate):
        mutate(raw)
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        return path

    return write


def test_bad_direction_is_rejected(broken_catalog):
    path = broken_catalog(lambda raw: raw["indicators"]["grdp_per_capita"].update(direction=2))
    with pytest.raises(TypologyError, match=r"indicators.grdp_per_capita.direction must be 1 or -1"):
        load_catalog(path)


def test_undeclared_variable_is_rejected(broken_catalog):
    def mutate(raw):
        raw["indicators"]["grdp_per_capita"]["numerator"] = [{"variable": "nonexistent", "year": 2020}]

    with pytest.raises(TypologyError, match="undeclared variables"):
        load_catalog(broken_catalog(mutate))


def test_missing_field_is_rejected(broken_catalog):
    path = broken_catalog(lambda raw: raw["indicators"]["fiscal_independence"].pop("unit"))
    with pytest.raises(TypologyError, match=r"indicators.fiscal_independence lacks \['unit'\]"):
        load_catalog(path)


def _set(path: list[str], value):
    """A mutation of the raw catalogue: ``value`` at ``path`` (the last key removed when value is ...)."""
    def mutate(raw):
        node = raw
        for key in path[:-1]:
            node = node[key]
        if value is ...:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return raw
    return mutate


# Each check of load_catalog's phases (sections, variables, indicator fields, references) with its
# exact message: the checks were split out of one function, and what they say must not change.
CATALOG_ERRORS = [
    (lambda raw: ["not", "a", "mapping"], "{path}: expected a mapping with dimensions, variables and indicators"),
    (_set(["variables"], ...), "{path}: section 'variables' missing or not a mapping"),
    (_set(["indicators"], ["grdp_per_capita"]), "{path}: section 'indicators' missing or not a mapping"),
    (_set(["dimensions", "capacity"], ...),
     "{path}: dimensions must be ['economy', 'civic', 'institution', 'capacity'], got "
     "['economy', 'civic', 'institution']"),
    (_set(["variables", "grdp", "aggregation"], "mean"), "{path}: variables.grdp.aggregation must be one of "
                                                         "['none', 'sum']"),
    (_set(["indicators", "grdp_per_capita", "dimension"], "health"),
     "{path}: indicators.grdp_per_capita.dimension 'health'; expected one of "
     "['economy', 'civic', 'institution', 'capacity']"),
    (_set(["indicators", "grdp_per_capita", "kind"], "index"),
     "{path}: indicators.grdp_per_capita.kind 'index'; expected one of ['growth', 'ratio', 'value']"),
    (_set(["indicators", "grdp_per_capita", "scale"], ...), "{path}: indicators.grdp_per_capita lacks ['scale']"),
    (_set(["indicators", "grdp_per_capita", "level"], "nominal"),
     "{path}: indicators.grdp_per_capita.level 'nominal'; expected one of "
     "['continuous', 'count', 'binary', 'ordinal']"),
    (_set(["indicators", "grdp_per_capita", "numerator"], [{"variable": "grdp", "year": 2020, "offset": -5}]),
     "{path}: indicators.grdp_per_capita: each variable reference needs 'variable' and at most one of 'year' "
     "(a whole year) or 'offset' (years relative to the other reference)"),
    (_set(["indicators", "grdp_per_capita", "numerator"], [{"year": 2020}]),
     "{path}: indicators.grdp_per_capita: each variable reference needs 'variable' and at most one of 'year' "
     "(a whole year) or 'offset' (years relative to the other reference)"),
    (_set(["indicators", "population_growth", "to"], {"variable": "population", "offset": 5}),
     "{path}: indicators.population_growth: an offset needs a reference without one to count from"),
]


@pytest.mark.parametrize(("mutate", "message"), CATALOG_ERRORS)
def test_each_catalogue_check_says_what_it_said(mutate, message):
    import copy

    raw = mutate(copy.deepcopy(yaml.safe_load(paths.CATALOG.read_text(encoding="utf-8"))))
    with pytest.raises(TypologyError) as caught:
        load_catalog(paths.CATALOG, raw)
    assert str(caught.value) == message.format(path=paths.CATALOG)
