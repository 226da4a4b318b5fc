"""run/worker.py: the static maps' worker, forked or in a thread, gives the same answer and one-line errors."""

from __future__ import annotations

import os
import threading

import pytest

from typology.errors import TypologyError
from typology.run.worker import Worker, can_fork

needs_fork = pytest.mark.skipif(not can_fork(), reason="forks only on Linux with 2+ cores and no other thread")


def _pid_and_sum(*values: int) -> tuple[int, int]:
    return os.getpid(), sum(values)


def _fails(message: str) -> None:
    raise ValueError(message)


def _says(message: str) -> None:
    raise TypologyError(message)


def _dies() -> None:
    os._exit(3)


@needs_fork
def test_forked_worker_answers_from_another_process():
    with Worker("sum", _pid_and_sum, 1, 2, 3) as worker:
        pid, total = worker.result()
    assert total == 6 and pid != os.getpid()


def test_thread_worker_answers_in_this_process():
    with Worker("sum", _pid_and_sum, 1, 2, 3, fork=False) as worker:
        assert worker.result() == (os.getpid(), 6)


@needs_fork
def test_child_error_is_one_typology_line():
    with Worker("static maps", _fails, "bad glyph\nTraceback lines") as worker, \
            pytest.raises(TypologyError) as info:
        worker.result()
    assert str(info.value) == "static maps: ValueError: bad glyph"


@needs_fork
def test_child_typology_error_is_itself():
    with Worker("static maps", _says, "config key output.static_dpi: expected 50..600") as worker, \
            pytest.raises(TypologyError, match=r"^config key output\.static_dpi: expected 50\.\.600$"):
        worker.result()


@needs_fork
def test_child_that_dies_is_reported_with_its_exit_code():
    with Worker("static maps", _dies) as worker, pytest.raises(TypologyError, match="exit code 3"):
        worker.result()


def test_no_fork_beside_a_foreign_thread():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="somebody-else", daemon=True)
    other.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        other.join()


@needs_fork
def test_worker_left_unasked_is_ended():
    with Worker("slow", threading.Event().wait, 60) as worker:
        process = worker._process
    assert not process.is_alive()
