"""Every leaf of the config schema is declared, and a bad value for any of them is one line naming
its key, raised by ``load_config`` or by the up-front ``validate``: never from deep in a run."""

from __future__ import annotations

import re

import pytest

from typology import load_config, paths
from typology.core.config import SCHEMA, named_keys
from typology.core.params import Param
from typology.errors import TypologyError
from typology.workflow import pipeline
from typology.workflow.validate import declared_names, validate

BAD = [
    # key, --set overrides
    ("reference_year", ["reference_year=twenty"]),
    ("reference_year", ["reference_year=[1,2]"]),
    ("reference_year", ["reference_year=1800"]),
    ("reference_year", ["reference_year=true"]),
    ("title_ko", ["title_ko=[1,2]"]),
    ("title_en", ["title_en={a: 1}"]),
    ("name", ["name=[a]"]),
    ("data.max_year_gap", ["data.max_year_gap=x"]),
    ("data.max_year_gap", ["data.max_year_gap=-1"]),
    ("data.on_year_gap", ["data.on_year_gap=keep"]),
    ("data.on_unmatched", ["data.on_unmatched=ignore"]),
    ("data.vintage", ["data.vintage=latest"]),
    ("data.variables", ["data.variables=3"]),
    ("data.tables", ["data.tables=extra.csv"]),
    ("data.tables", ["data.tables=[1]"]),
    ("data.tables[0]", ["data.tables=[{path: x.csv, layot: long}]"]),
    ("indicators.economy", ["indicators.economy=grdp_per_capita"]),
    ("indicators.civic", ["indicators.civic=[]"]),
    ("indicators.civic", ["indicators.civic=[no_such_indicator]"]),
    ("indicators.civic", ["indicators.civic=[grdp_per_capita]"]),
    ("scoring.impute.method", ["scoring.impute.method=magic"]),
    ("scoring.impute.k", ["scoring.impute.k=0"]),
    ("scoring.impute.k", ["scoring.impute.k=2.5"]),
    ("scoring.impute.seed", ["scoring.impute.seed=-1"]),
    ("scoring.treat.method", ["scoring.treat.method=clip"]),
    ("scoring.treat.skew", ["scoring.treat.skew=0"]),
    ("scoring.treat.kurtosis", ["scoring.treat.kurtosis=high"]),
    ("scoring.treat.max_points", ["scoring.treat.max_points=0"]),
    ("scoring.treat.fallback", ["scoring.treat.fallback=clip"]),
    ("scoring.treat.skip", ["scoring.treat.skip=grdp_per_capita"]),
    ("scoring.treat.skip", ["scoring.treat.skip=[no_such_indicator]"]),
    ("scoring.normalise.method", ["scoring.normalise.method=robust"]),
    ("scoring.normalise.range", ["scoring.normalise.range=[100,0]"]),
    ("scoring.normalise.range", ["scoring.normalise.range=5"]),
    ("scoring.normalise.goalposts", ["scoring.normalise.goalposts=[1,2]"]),
    ("scoring.normalise.goalposts", ["scoring.normalise.goalposts={grdp_per_capita: [5, 1]}"]),
    ("scoring.normalise.goalposts", ["scoring.normalise.method=goalposts"]),
    ("scoring.weights.method", ["scoring.weights.method=magic"]),
    ("scoring.weights.indicators", ["scoring.weights.method=explicit",
                                    "scoring.weights.indicators={grdp_per_capita: -1}"]),
    ("scoring.weights.indicators", ["scoring.weights.indicators={grdp_per_capita: 2}"]),  # method equal
    ("scoring.weights.indicators", ["scoring.weights.method=explicit", "scoring.weights.indicators={nope: 2}"]),
    ("scoring.weights.dimensions", ["scoring.weights.method=explicit", "scoring.weights.dimensions={economy: heavy}"]),
    ("scoring.weights.dimensions", ["scoring.weights.method=explicit", "scoring.weights.dimensions={nowhere: 1}"]),
    ("scoring.weights.dimensions", ["scoring.weights.method=explicit",
                                    "scoring.weights.dimensions={economy: 0, civic: 0, institution: 0, capacity: 0}"]),
    ("scoring.aggregate.method", ["scoring.aggregate.method=median"]),
    ("scoring.composite.method", ["scoring.composite.method=median"]),
    ("scoring.min_share", ["scoring.min_share=0"]),
    ("scoring.min_share", ["scoring.min_share=yes"]),
    ("typology.method", ["typology.method=kmedoids"]),
    ("typology.features", ["typology.features=pixels"]),
    ("typology.k", ["typology.k=1"]),
    ("typology.k", ["typology.k=many"]),
    ("typology.k_range", ["typology.k_range=[3]"]),
    ("typology.k_range", ["typology.k_range=[5,3]"]),
    ("typology.k_rule", ["typology.k_rule=elbow"]),
    ("typology.seed", ["typology.seed=-2"]),
    ("typology.options.kmeans.n_init", ["typology.options.kmeans.n_init=0"]),
    ("typology.options.kmeans.max_iter", ["typology.options.kmeans.max_iter=lots"]),
    ("typology.options.gmm.covariance_type", ["typology.options.gmm.covariance_type=bogus"]),
    ("typology.options.gmm.covariance_type", ["typology.method=gmm", "typology.options.gmm.covariance_type=bogus"]),
    ("typology.options.gmm.n_init", ["typology.options.gmm.n_init=0"]),
    ("typology.options.gmm.reg_covar", ["typology.options.gmm.reg_covar=-1"]),
    ("typology.options.skater.floor", ["typology.options.skater.floor=0"]),
    ("typology.options", ["typology.options=5"]),
    ("typology.contiguity.rule", ["typology.contiguity.rule=bishop"]),
    ("typology.contiguity.islands", ["typology.contiguity.islands=drop"]),
    ("typology.bootstrap.n", ["typology.bootstrap.n=-1"]),
    ("typology.bootstrap.unstable_below", ["typology.bootstrap.unstable_below=2"]),
    ("typology.axes", ["typology.axes=[1]"]),
    ("typology.types", ["typology.types={}"]),
    ("typology.types[0]", ["typology.types=[{key: a}]"]),
    ("typology.types[0].when.nowhere", ["typology.types=[{key: a, name_ko: A, name_en: A, when: {nowhere: '> 0'}}]"]),
    ("typology.types[0].when.society", ["typology.types=[{key: a, name_ko: A, name_en: A, when: {society: big}}]"]),
    ("typology.unclassified.key", ["typology.unclassified.key=[1]"]),
    ("uncertainty.n", ["uncertainty.n=1"]),
    ("uncertainty.seed", ["uncertainty.seed=x"]),
    ("uncertainty.impute", ["uncertainty.impute=knn"]),
    ("uncertainty.impute[0]", ["uncertainty.impute=[magic]"]),
    ("uncertainty.normalise[0]", ["uncertainty.normalise=[{method: minmax, rang: [1, 100]}]"]),
    ("uncertainty.weights.concentration", ["uncertainty.weights.concentration=0"]),
    ("uncertainty.weights.indicators", ["uncertainty.weights.indicators=sometimes"]),
    ("uncertainty.typology", ["uncertainty.typology=kmeans"]),
    ("uncertainty.typology[0]", ["uncertainty.typology=[kmedoids]"]),
    ("uncertainty.k", ["uncertainty.k=[1]"]),
    ("uncertainty.interval", ["uncertainty.interval=[95,5]"]),
    ("uncertainty.stable_from", ["uncertainty.stable_from=0"]),
    ("uncertainty.sensitivity.n", ["uncertainty.sensitivity.n=-1"]),
    ("uncertainty.sensitivity.n", ["uncertainty.n=10", "uncertainty.sensitivity.n=6"]),
    ("uncertainty.backend", ["uncertainty.backend=mpi"]),
    ("uncertainty.n_jobs", ["uncertainty.n_jobs=0"]),
    ("uncertainty.scheduler", ["uncertainty.scheduler=[1]"]),
    ("uncertainty.scheduler", ["uncertainty.scheduler=tcp://h:8786"]),  # backend loky
    ("output.dir", ["output.dir=[1]"]),
    ("output.map_tiles", ["output.map_tiles=http://tiles/{z}/{x}/{y}.png"]),
    ("output.map_tiles_attribution", ["output.map_tiles_attribution=[1]"]),
    ("output.static_maps", ["output.static_maps=maybe"]),
    ("output.xlsx", ["output.xlsx=1"]),
    ("output.report", ["output.report=nope"]),
    ("output.static_dpi", ["output.static_dpi=10"]),
    ("output.static_dpi", ["output.static_dpi=high"]),
]


def _first_error(overrides: list[str]) -> TypologyError:
    with pytest.raises(TypologyError) as caught:
        validate(load_config(paths.DEFAULT_CONFIG, overrides))
    return caught.value


@pytest.mark.parametrize(("key", "overrides"), BAD, ids=[" ".join(o) for _, o in BAD])
def test_a_bad_value_is_one_line_naming_its_key(key, overrides):
    message = str(_first_error(overrides))
    assert "\n" not in message
    # A key from a file may carry the file's name in front, as unknown keys do.
    assert re.match(rf"(\S+ \(after --set\): )?config key {re.escape(key)}[:.\[ ]", message), message


@pytest.mark.parametrize("override", ["reference_year=twenty", "reference_year=[1,2]", "data.max_year_gap=x",
                                      "title_ko=[1,2]", "output.static_dpi=10", "output.xlsx=maybe"])
def test_a_leaf_of_the_wrong_type_is_caught_by_load_config_itself(override):
    key, _, value = override.partition("=")
    with pytest.raises(TypologyError, match=rf"^config key {re.escape(key)}: expected .+, got .+$"):
        load_config(paths.DEFAULT_CONFIG, [override])


def test_every_leaf_is_declared_and_every_named_leaf_has_its_names():
    def leaves(schema):
        for spec in schema.values():
            yield from leaves(spec) if isinstance(spec, dict) else [spec]

    assert all(isinstance(spec, Param) for spec in leaves(SCHEMA))
    assert sorted(named_keys()) == sorted(declared_names())


@pytest.mark.parametrize("name", sorted(p.stem for p in paths.CONFIGS_DIR.glob("*.yaml")))
def test_the_bundled_configs_validate(name):
    validate(load_config(paths.CONFIGS_DIR / f"{name}.yaml"))


def test_run_rejects_a_bad_config_before_reading_any_data(monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("data were read before the config was checked")

    monkeypatch.setattr(pipeline.places, "load_units", no_data)
    monkeypatch.setattr(pipeline, "load_tables", no_data)
    config = load_config(paths.DEFAULT_CONFIG, ["typology.method=gmm", "typology.options.gmm.covariance_type=bogus"])
    with pytest.raises(TypologyError, match=r"^config key typology.options.gmm.covariance_type: expected one of "):
        pipeline.run(config)
