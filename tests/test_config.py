from __future__ import annotations

import pytest

from typology import paths
from typology.core.config import load_config
from typology.errors import TypologyError

from .conftest import write_config


def test_default_config_resolves_with_defaults(default_config):
    assert default_config["name"] == "default"
    assert default_config["scoring"]["normalise"]["method"] == "zscore"
    assert [t["key"] for t in default_config["typology"]["types"]] == ["society_led", "resource_combining"]


def test_unknown_key_is_named_with_valid_choices(tmp_path):
    path = write_config(tmp_path, "scoring:\n  normalize: {method: zscore}\n")
    with pytest.raises(TypologyError,
                       match=r"unknown config key 'scoring.normalize'; expected one of impute, treat, normalise"):
        load_config(path)


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = write_config(tmp_path, "name: x\nscoring: [unclosed\n")
    with pytest.raises(TypologyError, match=r"cfg.yaml: line \d+, column \d+: invalid YAML"):
        load_config(path)


def test_missing_config_file():
    with pytest.raises(TypologyError, match="nope.yaml: config file not found"):
        load_config(paths.CONFIGS_DIR / "nope.yaml")


def test_set_overrides_and_rejects_unknown_keys():
    cfg = load_config(paths.DEFAULT_CONFIG, ["scoring.normalise.method=minmax", "scoring.min_share=0.75"])
    assert cfg["scoring"]["normalise"]["method"] == "minmax"
    assert cfg["scoring"]["min_share"] == 0.75
    with pytest.raises(TypologyError, match="unknown config key 'scoring.normalise.methd'"):
        load_config(paths.DEFAULT_CONFIG, ["scoring.normalise.methd=minmax"])
    with pytest.raises(TypologyError, match="expected KEY=VALUE"):
        load_config(paths.DEFAULT_CONFIG, ["scoring.normalise.method"])


def test_min_share_out_of_range(tmp_path):
    with pytest.raises(TypologyError, match=r"^config key scoring.min_share: expected a number in \(0, 1\], got 1.5$"):
        load_config(paths.DEFAULT_CONFIG, ["scoring.min_share=1.5"])
