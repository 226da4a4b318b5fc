"""Progress and the console summary: a bar on a terminal, plain lines in a log, nothing with --quiet;
``--version``, ``--help`` without type tags, and what ``typology run`` says about its method."""

from __future__ import annotations

import io
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from typology import load_config, paths, run
from typology._version import __version__
from typology.core import progress
from typology.core.catalog import load_catalog
from typology.data.fetch import cache_path, kosis_queries
from typology.uncertainty.parallel import run_chunked

from .conftest import ROOT, run_cli

KOSIS_2021 = Path(__file__).parent / "fixtures" / "kosis" / "DT_1YL20921_2021.json"
FETCH = ["fetch", "fiscal_independence", "--year", "2021"]


@pytest.fixture(autouse=True)
def _silent_after(monkeypatch):
    monkeypatch.setattr(progress, "LINES_AFTER", 0)  # every step is announced, however quick
    yield
    progress.configure("off")


@pytest.fixture
def cache(tmp_path) -> Path:
    """A KOSIS answer recorded for fiscal_independence 2021, so ``typology fetch`` needs no network."""
    query = kosis_queries(load_catalog(), "fiscal_independence")[0]
    target = cache_path(tmp_path / "cache", query, 2021)
    target.parent.mkdir(parents=True)
    shutil.copy(KOSIS_2021, target)
    return tmp_path / "cache"


def test_auto_mode_follows_the_stream_and_quiet():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress.auto_mode(False, Terminal()) == "bar"
    assert progress.auto_mode(False, io.StringIO()) == "lines"
    assert progress.auto_mode(True, Terminal()) == "off"
    with pytest.raises(ValueError, match="progress mode 'loud'"):
        progress.configure("loud")


def test_lines_mode_writes_a_start_and_an_end_line(capsys):
    progress.configure("lines")
    assert list(progress.track(range(3), "step", unit="items")) == [0, 1, 2]
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "step: 3 items …"
    assert err[1:3] == ["step: 1/3 items", "step: 2/3 items"]  # quarters crossed: 1/4 at 1 item, 2/4 at 2
    assert re.fullmatch(r"step: done in \d+\.\d s", err[3]) and len(err) == 4


def test_lines_mode_marks_each_quarter_once(capsys):
    progress.configure("lines")
    assert len(list(progress.track(range(200), "mc", unit="runs"))) == 200
    err = capsys.readouterr().err.splitlines()
    assert err[1:4] == ["mc: 50/200 runs", "mc: 100/200 runs", "mc: 150/200 runs"] and len(err) == 5


def test_lines_mode_leaves_a_quick_or_failing_step_unannounced(capsys, monkeypatch):
    monkeypatch.setattr(progress, "LINES_AFTER", 60)
    progress.configure("lines")
    assert list(progress.track(range(3), "quick")) == [0, 1, 2]
    with pytest.raises(KeyError), progress.step("fails"):
        raise KeyError("bad input")
    assert capsys.readouterr().err == ""  # a bad input's error stays the one line on stderr
    monkeypatch.setattr(progress, "LINES_AFTER", 0.05)
    with progress.step("slow"):
        time.sleep(0.3)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "slow …" and err[1].startswith("slow: done in 0.")


def test_off_mode_is_silent_and_still_yields_everything(capsys):
    progress.configure("off")
    assert list(progress.track(iter("abc"), "step")) == ["a", "b", "c"]
    assert capsys.readouterr() == ("", "")


def test_bar_mode_nests_a_step_inside_a_step():
    # rich allows one live display at a time: the inner step must join the outer bar, not start one.
    progress.configure("bar")
    seen = [(outer, inner) for outer in progress.track(range(2), "outer")
            for inner in progress.track(range(2), "inner")]
    assert len(seen) == 4
    assert progress._state["bar"] is None  # the display ended with the outer step


@pytest.mark.parametrize("backend", ["sequential", "threading"])
def test_chunked_results_keep_their_order_with_progress(backend, capsys):
    progress.configure("lines")
    parts = run_chunked(lambda shared, a, b: shared[a:b], np.arange(50), 50, backend, n_jobs=2,
                        label="work", unit="rows")
    assert np.concatenate(parts).tolist() == list(range(50))
    assert capsys.readouterr().err.startswith("work: 50 rows …\n")


def test_cli_off_a_terminal_prints_plain_milestones_and_quiet_prints_none(tmp_path, cache):
    args = [*FETCH, "--cache", str(cache), "--out", str(tmp_path / "fi.csv")]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "KOSIS fiscal_independence: 1 requests …"
    assert lines[1].startswith("KOSIS fiscal_independence: done in ")
    assert "\x1b[" not in result.stderr and "━" not in result.stderr  # no bar drawn into a log
    assert progress.current_mode() == "off"  # the command's mode ended with it
    quiet = run_cli(*args, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith("wrote 11 rows")


@pytest.mark.e2e
def test_cli_on_a_pseudo_terminal_draws_a_bar(tmp_path, cache):
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CI")}
    env["TERM"] = "xterm-256color"
    chunks: list[bytes] = []

    def read() -> None:
        # Read while the command runs: a full terminal buffer would block its writes to stderr.
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not chunk:
                return
            chunks.append(chunk)

    # A process of its own: the bar is drawn only when stderr is a real terminal, which CliRunner's
    # captured streams never are.
    proc = subprocess.Popen([sys.executable, "-m", "typology", *FETCH, "--cache", str(cache),
                             "--out", str(tmp_path / "fi.csv")],
                            stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stdout = proc.communicate(timeout=120)[0].decode()
    reader.join(10)
    os.close(master)
    err = b"".join(chunks).decode()
    assert proc.returncode == 0, err
    assert "KOSIS fiscal_independence" in err and "━" in err
    assert re.search(r"\d:\d\d:\d\d", err)  # the elapsed time
    assert "\x1b[" in err  # drawn with terminal control codes
    assert "done in" not in err  # the plain milestones are for logs only
    assert stdout.startswith("wrote 11 rows")


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"typology {__version__}"


@pytest.mark.parametrize("command", [[], ["run"], ["uncertainty"], ["rebuild"], ["build-data"], ["fetch"]])
def test_help_has_no_type_tags(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert not re.search(r"<(bool|path|str|int|list\[str\]|list\[int\])>", result.stdout), result.stdout
    if command:
        assert "--quiet" in result.stdout


def test_kmeans_run_says_how_k_was_chosen_and_what_moved(tmp_path):
    result = run_cli("run", "configs/kmeans.yaml", "--out", str(tmp_path / "km"), "--set", "typology.bootstrap.n=10",
                     "--set", "validation.leave_one_out=false")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    k_table = pd.read_csv(tmp_path / "km" / "k_selection.csv", encoding="utf-8-sig")
    k = int(k_table.loc[k_table["chosen"], "k"].iloc[0])
    assert f"method: kmeans, k = {k} chosen by mean_rank over k 2–8" in out
    # The regions the method moved are those whose type differs from the rules' (scores.csv says which).
    scores = pd.read_csv(tmp_path / "km" / "scores.csv", encoding="utf-8-sig")
    changed = int((scores["type"] != scores["rule_type"]).sum())
    moved = re.search(r"ARI (\d\.\d\d) \(types\), (\d\.\d\d) \(clusters\); kmeans moved (\d+) of 228 regions", out)
    assert moved and int(moved.group(3)) == changed > 0
    summary = (tmp_path / "km" / "agreement_summary.csv").read_text(encoding="utf-8-sig")
    ari = float(re.search(r"ari_cluster_type_vs_rule_type,([0-9.]+)", summary).group(1))
    assert moved.group(1) == f"{ari:.2f}"
    assert "warning: coverage of 참여제도기반 (Participation-institution base): weak proxies only" in out
    lines = result.stderr.splitlines()
    assert lines[0] == "부트스트랩 bootstrap over regions: 10 replicates …"
    assert "부트스트랩 bootstrap over regions: 5/10 replicates" in lines
    assert lines[-2] == "출력 쓰기 writing outputs …" and lines[-1].startswith("출력 쓰기 writing outputs: done in ")


def test_rules_run_names_its_method_and_no_k():
    from typology.workflow.summary import summary_lines

    lines = summary_lines(run(load_config(paths.DEFAULT_CONFIG, ["typology.bootstrap.n=0"])))
    assert lines[0].startswith("method: rules")
    assert not any(line.startswith(("agreement", "bootstrap")) for line in lines)
