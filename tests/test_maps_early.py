"""The command line starts the maps process before typer parses its arguments (maps_process.start_early):
the run uses that one process, a run without static maps ends it at once, and a command that fails
before its run leaves no child behind."""

from __future__ import annotations

import gc
import sys

import pytest

from typology import cli
from typology.workflow import maps_process
from typology.workflow.maps_process import MapsProcess, claim, end_early, start_early


class Counted(MapsProcess):
    """A real maps process that remembers every one started."""

    made: list[Counted] = []

    def __init__(self) -> None:
        super().__init__()
        Counted.made.append(self)


@pytest.fixture
def counted(monkeypatch):
    Counted.made = []
    monkeypatch.setattr(maps_process, "MapsProcess", Counted)
    monkeypatch.setattr(maps_process, "_early", None)
    yield Counted.made
    for proc in Counted.made:
        proc.close()


def _ended(proc: MapsProcess) -> bool:
    return proc._proc.poll() is not None


@pytest.mark.parametrize("args", [["uncertainty"], ["run", "--help"], ["run", "-h"], [], ["compare", "run"]])
def test_only_the_run_command_starts_it(counted, args):
    start_early(args)
    assert counted == []


def test_a_run_without_static_maps_ends_the_early_process(counted):
    start_early(["run", "configs/default.yaml"])
    assert len(counted) == 1 and not _ended(counted[0])
    assert claim(False) is None
    assert _ended(counted[0])
    assert claim(True) is counted[1]  # nothing early is left: a new one
    assert len(counted) == 2


def test_a_run_with_static_maps_takes_the_early_process(counted):
    start_early(["run"])
    start_early(["run"])  # never a second one
    assert len(counted) == 1
    assert claim(True) is counted[0] and not _ended(counted[0])
    end_early()  # claimed: end_early leaves it to its run
    assert not _ended(counted[0])


def _main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["typology", *args])
    monkeypatch.setattr(cli, "_WHOLE_PROCESS", False)
    try:
        cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        gc.unfreeze()  # main() freezes this test process's objects, as it would at a command's exit
    return 0


def test_a_command_that_fails_before_its_run_leaves_no_child(counted, monkeypatch, tmp_path):
    code = _main(monkeypatch, "run", str(tmp_path / "no_such.yaml"), "--out", str(tmp_path / "out"))
    assert code == 2
    assert len(counted) == 1 and _ended(counted[0])
    assert maps_process._early is None


def test_the_command_line_draws_with_the_process_it_started_first(counted, monkeypatch, tmp_path):
    out = tmp_path / "out"
    code = _main(monkeypatch, "run", "configs/examples/seoul.yaml", "--out", str(out), "--quiet",
                 "--set", "output.xlsx=false", "--set", "typology.bootstrap.n=0",
                 "--set", "validation.leave_one_out=false")
    assert code == 0
    assert len(counted) == 1  # started by main() before the config was read, and drawn by
    assert counted[0].requested and counted[0].seconds is not None
    assert (out / "map_type.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _ended(counted[0])
