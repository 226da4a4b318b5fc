"""End to end: the command line as a process of its own (``python -m typology``).

Every other CLI test calls it in this process (``conftest.run_cli``); these few check what only a
real process shows: the entry point, the exit code the shell sees, and the streams. The default
run as a process of its own is ``conftest.cli_run_dir`` (used by test_run_default and test_rebuild).
"""

from __future__ import annotations

import pytest

from .conftest import run_cli_subprocess, write_config

pytestmark = pytest.mark.e2e


def test_help_lists_the_commands():
    result = run_cli_subprocess("--help")
    assert result.returncode == 0, result.stderr
    for command in ("run", "uncertainty", "rebuild", "build-data", "fetch"):
        assert command in result.stdout


def test_bad_input_exits_with_code_2_and_one_line(tmp_path):
    cfg = write_config(tmp_path, "scoring:\n  weighting: {method: equal}\n")
    out = tmp_path / "out"
    result = run_cli_subprocess("run", str(cfg), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "unknown config key 'scoring.weighting'" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists()
