from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from typology import load_config, paths, run

# The browser tests' fixtures, one of each per test process (session scope) for all their modules.
from .browser_pages import browser, pages, scoped_pages, scoped_runs, visit  # noqa: F401

try:
    import fcntl
except ImportError:  # Windows: no folder shared between xdist workers, each builds its own (built_once)
    fcntl = None


def _share_the_cores() -> None:
    """Under pytest-xdist a worker runs on its share of the cores, BLAS and OpenMP pools included.

    pyproject runs one worker per core (-n 2 for the 2-core machine), and each worker's BLAS and OpenMP
    pools would start a thread per core as well: those threads spin on the core the other worker needs
    (the package limits them itself where it types: classify, the Monte Carlo). Set in this process's
    pools and in the environment, which the processes the tests start inherit. A thread count the
    environment already sets is kept.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    if workers < 2 or any(name in os.environ for name in names):
        return
    share = max(1, (os.cpu_count() or 1) // workers)
    os.environ.update(dict.fromkeys(names, str(share)))
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=share)  # the pools numpy and scipy started when typology was imported


_share_the_cores()

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


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(folder)`` run once per test session, into an empty ``folder`` that it returns.

    Under pytest-xdist each worker is a session of its own: the first worker to ask builds the folder
    (a whole run with its maps process, or a process of its own), the others wait for it and read the
    same folder. Read-only folders only: a test that changes files copies them first (``copy_folder``).
    """
    base = tmp_path_factory.getbasetemp()
    if fcntl is not None and os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-of-<user>/pytest-<n>/: this session's, shared by its workers
    shared = base / "shared"
    shared.mkdir(exist_ok=True)
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # until the file is closed: one worker builds, the others wait
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)  # a worker's build that failed
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def default_run_folder(request, tmp_path_factory) -> Path:
    """The default run written once (``write_run`` of ``default_run``), for tests that read a run folder.
    Read only: a test that changes files copies it first (``copy_folder``)."""
    from typology.workflow.outputs import write_run

    def build(folder: Path) -> None:
        write_run(request.getfixturevalue("default_run"), folder / "default")

    return built_once(tmp_path_factory, "default_run", build) / "default"


@pytest.fixture(scope="session")
def seoul_example_run():
    """``configs/examples/seoul.yaml`` (a scoped run with a project catalogue) run once in this process.
    Read only: a test that changes it copies it first."""
    return run(load_config(ROOT / "configs" / "examples" / "seoul.yaml"))


@pytest.fixture(scope="session")
def seoul_example_folder(tmp_path_factory) -> Path:
    """``typology run configs/examples/seoul.yaml`` written once through the CLI (in a test process).
    Read only: a test that changes files copies it first (``copy_folder``)."""

    def build(folder: Path) -> None:
        result = run_cli("run", "configs/examples/seoul.yaml", "--out", str(folder / "seoul"))
        assert result.returncode == 0, result.stderr

    return built_once(tmp_path_factory, "seoul_example", build) / "seoul"


@pytest.fixture(scope="session")
def cli_run_dir(tmp_path_factory) -> Path:
    """End to end (a process of its own): ``python -m typology run`` without arguments in an empty folder,
    which runs configs/default.yaml into ./out/default/ (with ``-X importtime``, which only lists the
    imports on stderr). Read only.

    A real process on purpose: the tests that compare its bytes with a run made in this process
    (test_run_default, test_rebuild) are what shows that outputs do not depend on the interpreter
    (hash seed, what happened to be imported first); and only a fresh interpreter shows what a run
    imports (``cli_run_imports``)."""
    return _cli_run(tmp_path_factory) / "cwd" / "out" / "default"


@pytest.fixture(scope="session")
def cli_run_imports(tmp_path_factory) -> set[str]:
    """Every module the main process of ``cli_run_dir``'s run imported, from ``python -X importtime``
    (which lists each module as it is first imported; the maps process's imports are not among them).
    This interpreter is no witness: the tests import scikit-learn, matplotlib, GDAL, … as oracles."""
    lines = (_cli_run(tmp_path_factory) / "imports.txt").read_text(encoding="utf-8").splitlines()
    modules = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}
    modules.discard("imported package")  # the header
    assert {"typology.cli", "pandas"} <= modules, "python -X importtime listed no imports"
    return modules


def _cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def build(folder: Path) -> None:
        (folder / "cwd").mkdir()
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "typology", "run"], capture_output=True,
                                text=True, cwd=folder / "cwd", timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        (folder / "imports.txt").write_text(result.stderr, encoding="utf-8")

    return built_once(tmp_path_factory, "cli_run", build)


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
