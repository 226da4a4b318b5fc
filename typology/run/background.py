"""Work done beside the run in a child process: started early, finished when its input exists.

The static maps cost more than anything else in a run, and most of that (importing matplotlib,
reading and simplifying the geometry, registering the font) needs no result of the run. A
``Background`` job forks a child at once to ``prepare``; the parent runs the pipeline meanwhile,
then hands the child what ``finish`` needs and collects the answer. On a machine with one core,
where fork is not the safe default (macOS, Windows), or in a process with other threads (a
Jupyter kernel), the same two functions run in the calling process when the answer is asked
for: the bytes are the same either way.

An exception in the child is raised again in the parent: a ``TypologyError`` as itself (one line
for the CLI), anything else as a ``RuntimeError`` carrying the child's traceback.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..errors import TypologyError

P = TypeVar("P")
R = TypeVar("R")

JOIN_SECONDS = 5.0
# The parent ends of the pipes of every running job. A forked process inherits them and closes
# its copies at once: a copy left open would keep that job's child from seeing the pipe close.
_PARENT_ENDS: weakref.WeakSet[Any] = weakref.WeakSet()


def _close_inherited() -> None:
    for conn in list(_PARENT_ENDS):
        try:
            conn.close()
        except OSError:
            pass


def can_fork() -> bool:
    """True where a forked child is safe and worth it: Linux, more than one core to run on, and no
    other Python thread (a thread holding a lock at the fork, as a Jupyter kernel's or a server's
    may, would leave the child waiting on it for ever)."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores > 1


class Background(Generic[P, R]):
    """``finish(prepare(), message)``, with ``prepare`` started in a child process right away."""

    def __init__(self, prepare: Callable[[], P], finish: Callable[[P, Any], R], *, fork: bool | None = None) -> None:
        self.prepare = prepare
        self.finish = finish
        self._process: Any = None
        self._conn: Any = None
        self._closed = False
        if can_fork() if fork is None else fork:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self._conn, child = context.Pipe()
            process = context.Process(target=_child, args=(child, prepare, finish), daemon=True,
                                      name="typology-background")
            _PARENT_ENDS.add(self._conn)  # before the fork: the child closes its copy of it too
            # Objects made so far are left out of the child's garbage collections, which would
            # otherwise touch (and so copy) every page the two processes share.
            gc.freeze()
            try:
                process.start()
                self._process = process
            except (AssertionError, OSError):  # e.g. inside a daemonic worker, which may not fork
                self._conn.close()
            finally:
                gc.unfreeze()
            child.close()

    @property
    def forked(self) -> bool:
        return self._process is not None

    def submit(self, message: Any) -> None:
        """Hand the child ``finish``'s input; it starts at once, while this process goes on."""
        self._message = message
        if self._process is not None:
            try:
                self._conn.send(message)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the child is gone: result() says how

    def result(self) -> R:
        """``finish``'s answer: from the child, or computed here when there is no child."""
        if not hasattr(self, "_message") or self._closed:
            raise RuntimeError("Background.result() before submit() or after close()")
        if self._process is None:
            return self.finish(self.prepare(), self._message)
        process = self._process
        try:
            ok, payload = self._conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            process.join(JOIN_SECONDS)
            raise RuntimeError(f"background worker {process.pid} ended without an answer "
                               f"(exit code {process.exitcode})") from None
        finally:
            self.close()
        if ok:
            return payload
        if isinstance(payload, BaseException):
            raise payload
        raise RuntimeError(f"background worker failed:\n{payload}")

    def close(self) -> None:
        """Stop waiting: the child sees the pipe close and exits; it is terminated if it does not."""
        self._closed = True
        if self._process is None:
            return
        process, self._process = self._process, None
        self._conn.close()
        process.join(JOIN_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join(JOIN_SECONDS)

    def __enter__(self) -> Background[P, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _child(conn: Any, prepare: Callable[[], Any], finish: Callable[[Any, Any], Any]) -> None:
    _close_inherited()
    failure: BaseException | None = None
    state = None
    try:
        state = prepare()
    except BaseException as exc:  # reported when the parent asks for the answer
        failure = exc
    try:
        message = conn.recv()
    except (EOFError, OSError):
        return  # the parent no longer wants the answer (it failed, or finished without it)
    try:
        if failure is not None:
            raise failure
        answer: tuple[bool, Any] = (True, finish(state, message))
    except TypologyError as exc:
        answer = (False, TypologyError(str(exc)))
    except BaseException:
        answer = (False, traceback.format_exc())
    try:
        conn.send(answer)
    except (BrokenPipeError, OSError):
        pass


def fork_call(fn: Callable[[], R], *, fork: bool | None = None) -> Callable[[], R]:
    """Start ``fn()`` in a forked process now; the returned function waits for its value.

    A plain ``os.fork``, so that a ``Background`` child (a daemonic process, which multiprocessing
    does not let have children) can split its own work. Without fork, ``fn`` runs when the value
    is asked for.
    """
    if not (can_fork() if fork is None else fork):
        return fn
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: compute, send, and leave without running any exit handler
        code = 0
        try:
            os.close(read)
            _close_inherited()
            try:
                answer: tuple[bool, Any] = (True, fn())
            except TypologyError as exc:
                answer = (False, TypologyError(str(exc)))
            except BaseException:
                answer = (False, traceback.format_exc())
            with os.fdopen(write, "wb") as out:
                pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)

    def wait() -> R:
        with os.fdopen(read, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            raise RuntimeError(f"forked worker {pid} ended without an answer (wait status {status})")
        ok, payload = pickle.loads(data)
        if ok:
            return payload
        if isinstance(payload, BaseException):
            raise payload
        raise RuntimeError(f"forked worker failed:\n{payload}")

    return wait
