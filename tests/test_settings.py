"""Typed, frozen settings per stage: built once from the validated config, defaults only from the schema."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from typology import paths
from typology.core.config import SCHEMA, defaults_of, load_config
from typology.core.settings import FrozenMap, RunSettings, ScoringSettings, TypologySettings, thaw
from typology.typologies.cluster import GMMClusters, KMeansClusters
from typology.typologies.latent_class import LatentClassModel
from typology.typologies.regionalise import SkaterRegions
from typology.workflow.validate import validate


@pytest.fixture(scope="module")
def settings() -> RunSettings:
    return validate(load_config(paths.DEFAULT_CONFIG, ["typology.method=kmeans", "scoring.normalise.method=minmax",
                                                       "typology.k_range=[3, 5]"]))


def test_validate_returns_each_stage_its_settings(settings):
    assert settings.scoring.normalise.method == "minmax"
    assert settings.scoring.normalise.params["range"] == (0, 100)
    assert settings.typology.method == "kmeans" and settings.typology.k_range == (3, 4, 5)
    assert dict(settings.typology.options) == {"n_init": 10, "max_iter": 300}
    assert [i.key for i in settings.indicators] == [k for d in ("economy", "civic", "institution", "capacity")
                                                    for k in settings.config["indicators"][d]]
    assert settings.output.static_dpi == 150 and settings.validation.on_fail == "warn"


def test_settings_cannot_be_changed(settings):
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.typology.method = "ward"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.typology.options["n_init"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        settings.scoring.adjust._data = {}  # type: ignore[attr-defined]
    assert isinstance(settings.typology.types, tuple) and isinstance(settings.typology.types[0], FrozenMap)
    # thaw gives fresh plain values: changing them changes nothing in the settings
    block = settings.scoring.normalise.block()
    block["range"].append(1)
    assert settings.scoring.normalise.params["range"] == (0, 100)


def test_settings_pickle_for_the_monte_carlo_workers(settings):
    again = pickle.loads(pickle.dumps(settings))
    assert again == settings and thaw(again.config) == thaw(settings.config)


def test_a_default_lives_in_the_schema_only():
    # A partial section is filled from SCHEMA, never from a default of the stage's own.
    assert TypologySettings.of({}) == TypologySettings.of(defaults_of(SCHEMA["typology"]))
    assert ScoringSettings.of({}).normalise.block() == defaults_of(SCHEMA["scoring"])["normalise"]
    # The estimators' own defaults (an estimator built by hand) are the schema's.
    options = defaults_of(SCHEMA["typology"]["options"])
    for cls, name in ((KMeansClusters, "kmeans"), (GMMClusters, "gmm"), (SkaterRegions, "skater"),
                      (LatentClassModel, "latent_class")):
        params = inspect.signature(cls).parameters
        for key, value in options[name].items():
            default = params[key].default
            assert (list(default) if isinstance(default, tuple) else default) == value, (cls, key)


def test_the_method_pages_name_every_registered_method():
    # The report describes a method from its registration; the method pages must name it too, so a
    # method registered without a word in the docs fails here.
    from typology.scoring.aggregate import AGGREGATORS
    from typology.scoring.impute import IMPUTERS
    from typology.scoring.normalise import NORMALISERS
    from typology.scoring.treat import TREATMENTS
    from typology.scoring.weights import WEIGHTINGS
    from typology.typologies.classify import TYPOLOGIES

    scoring = (paths.ROOT / "docs" / "methods" / "scoring.md").read_text(encoding="utf-8")
    types = (paths.ROOT / "docs" / "methods" / "types.md").read_text(encoding="utf-8")
    missing = [(registry.step, name) for registry, text in ((IMPUTERS, scoring), (TREATMENTS, scoring),
                                                           (NORMALISERS, scoring), (WEIGHTINGS, scoring),
                                                           (AGGREGATORS, scoring), (TYPOLOGIES, types))
               for name in registry.names() if name not in text]
    assert missing == []


def test_validate_checks_the_tile_url_on_the_output_settings(monkeypatch):
    # The map's tile URL is checked up front, from the typed settings (not the config's output section).
    from typology.errors import TypologyError
    from typology.workflow import validate as validation

    config = load_config(paths.DEFAULT_CONFIG)
    config["output"]["map_tiles"] = "http://tiles.example.org/{z}/{x}/{y}.png"  # not https
    with pytest.raises(TypologyError, match="config key output.map_tiles"):
        validate(config)
    seen = []
    monkeypatch.setattr(validation, "tile_layer", seen.append)
    assert seen == [validate(config).output]


def test_a_run_reads_its_inputs_and_assembles_its_result_from_the_settings_alone():
    # read_inputs and assemble take the settings, which carry the resolved config the result keeps.
    from typology.core.catalog import catalog_for
    from typology.workflow.pipeline import assemble, read_inputs, score_units, type_units

    config = load_config(paths.ROOT / "configs" / "examples" / "seoul.yaml", ["typology.bootstrap.n=0"])
    catalog = catalog_for(config)
    settings = validate(config, catalog)
    read = read_inputs(catalog, settings)
    assert len(read.units) == 25 and list(read.raw.columns) == [i.key for i in settings.indicators]
    scored, checked, coherent = score_units(read, catalog, settings)
    typing, typed = type_units(read, scored, catalog, settings)
    result = assemble(catalog, settings, read, scored, checked, coherent, typing, typed)
    assert result.config == config and result.config is not config  # a copy: the caller's dict stays its own
    assert result.settings is settings  # not made again from the config
