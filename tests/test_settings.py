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
