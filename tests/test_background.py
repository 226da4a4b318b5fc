"""Work in a child process (``typology.background``): same answers as in-process, errors come back."""

from __future__ import annotations

import os

import pytest

from typology.errors import TypologyError
from typology.run.background import Background, can_fork, fork_call

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def _pid_and_square(state: int, message: int) -> tuple[int, int]:
    return state, message * message


@needs_fork
@pytest.mark.parametrize("fork", [True, False])
def test_the_answer_is_the_same_with_or_without_a_child(fork):
    job = Background(os.getpid, _pid_and_square, fork=fork)
    assert job.forked is fork
    job.submit(7)
    prepared_in, answer = job.result()
    assert answer == 49
    assert (prepared_in != os.getpid()) is fork  # prepare ran in the child when forked


@needs_fork
@pytest.mark.parametrize("fork", [True, False])
def test_a_typology_error_in_the_child_comes_back_as_itself(fork):
    def finish(state, message):
        raise TypologyError(f"config key output.thing: bad {message}")

    job = Background(lambda: None, finish, fork=fork)
    job.submit("value")
    with pytest.raises(TypologyError, match=r"^config key output.thing: bad value$"):
        job.result()


@needs_fork
def test_a_bug_in_the_child_comes_back_with_its_traceback():
    job = Background(lambda: 0, lambda state, message: message / state, fork=True)
    job.submit(1)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        job.result()


@needs_fork
def test_an_error_while_preparing_is_raised_when_the_answer_is_asked_for():
    def prepare():
        raise TypologyError("static maps: no font with Hangul found")

    job = Background(prepare, _pid_and_square, fork=True)
    job.submit(2)
    with pytest.raises(TypologyError, match="no font with Hangul"):
        job.result()


@needs_fork
def test_closing_before_submitting_stops_the_child():
    job = Background(os.getpid, _pid_and_square, fork=True)
    process = job._process
    job.close()
    assert not process.is_alive()
    assert process.exitcode == 0
    job.close()  # twice is harmless


@needs_fork
@pytest.mark.parametrize("fork", [True, False])
def test_fork_call(fork):
    parent = os.getpid()
    wait = fork_call(lambda: (os.getpid(), b"x" * 300_000), fork=fork)  # larger than a pipe's buffer
    pid, data = wait()
    assert data == b"x" * 300_000
    assert (pid != parent) is fork


@needs_fork
def test_fork_call_errors():
    def bad():
        raise TypologyError("one line")

    with pytest.raises(TypologyError, match="^one line$"):
        fork_call(bad, fork=True)()
    with pytest.raises(RuntimeError, match="KeyError"):
        fork_call(lambda: {}["missing"], fork=True)()


def test_can_fork_only_where_it_is_safe_and_useful():
    import sys

    if not sys.platform.startswith("linux"):
        assert not can_fork()
    elif len(os.sched_getaffinity(0)) < 2:
        assert not can_fork()


@needs_fork
@pytest.mark.parametrize("fork", [True, False])
def test_no_answer_after_close(fork):
    job = Background(os.getpid, _pid_and_square, fork=fork)
    job.submit(3)
    job.close()
    with pytest.raises(RuntimeError, match="after close"):
        job.result()


@needs_fork
def test_a_child_that_dies_is_reported():
    job = Background(lambda: os._exit(3), _pid_and_square, fork=True)
    job.submit(3)
    with pytest.raises(RuntimeError, match="exit code 3"):
        job.result()
