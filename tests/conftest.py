from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from typology import load_config, paths, run

# CI must not fail by chance: there Hypothesis draws the same examples every run. Locally the
# property tests keep drawing new ones, which is how rare failures are found.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = paths.ROOT


@pytest.fixture(scope="session")
def default_config() -> dict:
    return load_config(paths.DEFAULT_CONFIG)


@pytest.fixture(scope="session")
def default_run(default_config):
    return run(default_config)


@pytest.fixture(scope="session")
def default_table(default_run):
    return default_run.table()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "typology", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def write_config(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
