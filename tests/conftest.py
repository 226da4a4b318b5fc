from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
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


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: runs the command line as a process of its own (python -m typology)")


@pytest.fixture(scope="session")
def default_config() -> dict:
    return load_config(paths.DEFAULT_CONFIG)


@pytest.fixture(scope="session")
def default_run(default_config):
    return run(default_config)


@pytest.fixture(scope="session")
def default_table(default_run):
    return default_run.table()


@pytest.fixture(scope="session")
def default_run_folder(default_run, tmp_path_factory) -> Path:
    """The default run written once (``write_run``), for tests that read a run folder. Read only: a test
    that changes files copies it first (``copy_folder``)."""
    from typology.workflow.outputs import write_run

    return write_run(default_run, tmp_path_factory.mktemp("default_run") / "default")


@pytest.fixture(scope="session")
def seoul_example_run():
    """``configs/examples/seoul.yaml`` (a scoped run with a project catalogue) run once in this process.
    Read only: a test that changes it copies it first."""
    return run(load_config(ROOT / "configs" / "examples" / "seoul.yaml"))


@pytest.fixture(scope="session")
def seoul_example_folder(tmp_path_factory) -> Path:
    """``typology run configs/examples/seoul.yaml`` written once through the CLI (in this process).
    Read only: a test that changes files copies it first (``copy_folder``)."""
    out = tmp_path_factory.mktemp("seoul_example") / "seoul"
    result = run_cli("run", "configs/examples/seoul.yaml", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def cli_run_dir(tmp_path_factory) -> Path:
    """End to end (a process of its own): ``python -m typology run`` without arguments in an empty folder,
    which runs configs/default.yaml into ./out/default/. Read only.

    A real process on purpose: the tests that compare its bytes with a run made in this process
    (test_run_default, test_rebuild) are what shows that outputs do not depend on the interpreter
    (hash seed, what happened to be imported first)."""
    cwd = tmp_path_factory.mktemp("cwd")
    result = run_cli_subprocess("run", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd / "out" / "default"


def copy_folder(folder: Path, target: Path) -> Path:
    """A copy of a shared run folder that a test may change."""
    return Path(shutil.copytree(folder, target))


@dataclass(frozen=True)
class CliResult:
    """What a test needs of a finished ``typology`` command (the fields of ``subprocess.CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
    """``typology *args`` in this process (typer's ``CliRunner``), in ``cwd`` (default the project root).

    Exit codes and the two streams are those of the command line; an exception the CLI does not
    turn into an exit code is raised here with its traceback, as the command would show it.
    """
    from typer.testing import CliRunner

    from typology.cli import app

    before = _children()
    with contextlib.chdir(cwd or ROOT):
        result = CliRunner().invoke(app, list(args), prog_name="typology", catch_exceptions=False)
    # A process of its own would take its children with it; here none may outlive the command.
    leaked = _children() - before
    assert not leaked, f"typology {' '.join(args)} left child processes {sorted(leaked)}"
    return CliResult(result.exit_code, result.stdout, result.stderr)


def _children() -> set[int]:
    """Process ids of this process's children, zombies included (from /proc; empty where there is none)."""
    me, found = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, ...
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[1]) == me:
            found.add(int(stat.parent.name))
    return found


def run_cli_subprocess(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """End to end: ``python -m typology *args`` as a process of its own. Kept for the few end-to-end
    tests (marked ``e2e``); every other test calls ``run_cli``, which is seconds faster per call."""
    return subprocess.run([sys.executable, "-m", "typology", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def write_config(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
