"""Work shared by this process and forked helpers, on a 2-core machine's second core.

`Helper`: a process forked early that gets ready for a later step (imports the libraries it
needs) while this process reads the posts, and then does that step.

`map_chunks`: both processes take chunks of work from one queue (a pipe of chunk numbers: a read
of two bytes is atomic, so no chunk is taken twice), so that a core slowed by other work on the
machine takes fewer. The helper sends each result as it is done. A chunk the helper could not
do (an exception, a crash) is done again here, where any exception is raised as usual.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")
MAX_CHUNKS = (
    32_000  # two bytes each: the queue must fit in a pipe's buffer (64 KiB) before the fork
)


def cores() -> int:
    """Cores this process may use; 1 where fork is unavailable."""
    if not hasattr(os, "fork"):
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def map_chunks(
    work: Callable[[Any], T],
    chunks: Sequence[Any],
    progress: Callable[[int], None] | None = None,
    *,
    minimum: int = 2,
    pack: Callable[[T], Any] | None = None,
) -> list[T]:
    """[work(chunk) for chunk in chunks], with a forked helper when there are two cores or more
    and `minimum` chunks or more. `progress(n)` is told how many chunks are finished, by either.
    `work` runs in the helper on what the fork copied: it must not depend on later changes.
    With `pack`, the helper's results arrive as pack(work(chunk)) (e.g. part of it pickled in a
    form the caller keeps as it is)."""
    if cores() < 2 or len(chunks) < max(minimum, 2) or len(chunks) > MAX_CHUNKS:
        return _serial(work, chunks, progress)
    queue_read, queue_write = os.pipe()
    os.write(queue_write, b"".join(struct.pack("<H", number) for number in range(len(chunks))))
    os.close(queue_write)  # the queue ends when it is empty
    results_read, results_write = os.pipe()
    _widen(results_write)
    pid = _fork(queue_read, results_read, results_write)
    if pid is None:  # no more processes allowed: all of it here
        return _serial(work, chunks, progress)
    if pid == 0:  # the helper: take chunks, and send each result as it is done
        os.close(results_read)

        def helper() -> None:
            with os.fdopen(results_write, "wb") as out:  # buffered: a write is never left half done
                while (number := _take(queue_read)) is not None:
                    try:
                        result = work(chunks[number])
                        data = pickle.dumps(
                            (number, pack(result) if pack else result),
                            protocol=pickle.HIGHEST_PROTOCOL,
                        )
                    except Exception:  # left for the parent to do again, and report
                        continue
                    out.write(struct.pack("<I", len(data)) + data)
                    out.flush()

        _live_and_exit(helper)
    os.close(results_write)
    answers = _Answers(results_read)
    results: dict[int, T] = {}
    try:
        # Between its own chunks this process takes in the helper's results so far: at the end
        # only the last few are left to unpickle, not all of them.
        while (number := _take(queue_read)) is not None:
            results[number] = work(chunks[number])
            results.update(answers.arrived())
            if progress:
                progress(len(results))
        rest = answers.rest()
        results.update(rest)
        if progress and rest:  # told once per chunk done, never twice for the same count
            progress(len(results))
    finally:
        while _take(queue_read) is not None:  # on an exception here: the helper stops soon too
            pass
        os.close(queue_read)
        answers.close()  # before waiting: a helper still writing its results then stops
        os.waitpid(pid, 0)
    for number, chunk in enumerate(chunks):
        if number not in results:  # the helper failed on it, or died
            results[number] = work(chunk)
            if progress:
                progress(len(results))
    return [results[number] for number in range(len(chunks))]


def _widen(pipe: int) -> None:
    """A 1 MiB pipe buffer where Linux allows it, so the helper rarely waits for this process."""
    try:
        import fcntl

        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


class _Answers:
    """The helper's results: frames of a 4-byte length, then a pickled (chunk number, result)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        os.set_blocking(fd, False)

    def arrived(self) -> dict[int, Any]:
        """The results complete so far, without waiting."""
        try:
            while data := os.read(self.fd, 1 << 20):
                self.buffer += data
        except BlockingIOError:
            pass
        return self._frames()

    def rest(self) -> dict[int, Any]:
        """Every result still to come, until the helper ends; those of a helper that died are
        missing."""
        os.set_blocking(self.fd, True)
        while data := os.read(self.fd, 1 << 20):
            self.buffer += data
        return self._frames()

    def _frames(self) -> dict[int, Any]:
        found, at = {}, 0
        while len(self.buffer) - at >= 4:
            (size,) = struct.unpack_from("<I", self.buffer, at)
            if len(self.buffer) - at - 4 < size:
                break
            number, result = pickle.loads(self.buffer[at + 4 : at + 4 + size])
            found[number] = result
            at += 4 + size
        del self.buffer[:at]
        return found

    def close(self) -> None:
        os.close(self.fd)


class Helper:
    """A forked process that works beside this one in up to three steps: `first()`, whose result
    this process takes with `first_result` (e.g. listing the posts while this process loads the
    cache); `prepare()` (e.g. importing what rendering needs, which then costs no time here);
    then one `call` for this process. Without a second core, or if the helper fails in any way,
    `first_result` is None and the call is made here. Use it as a context manager: leaving it
    stops a helper that was not called, and waits for the helper to end."""

    def __init__(self, prepare: Callable[[], Any], first: Callable[[], Any] | None = None) -> None:
        self.pid = 0
        self._ending = 0  # a helper that was called or stopped, not yet waited for
        self._first_pending = first is not None
        if cores() < 2:
            return
        requests_read, self.requests = os.pipe()
        answers_read, answers_write = os.pipe()
        _widen(answers_write)
        pid = _fork(requests_read, self.requests, answers_read, answers_write)
        if pid is None:  # no more processes allowed: every step is done here
            return
        if pid == 0:
            # a short life (imports, then one command's rendering): little cyclic garbage
            gc.disable()
            os.close(self.requests)
            os.close(answers_read)

            def helper() -> None:
                with os.fdopen(answers_write, "wb") as out:
                    if first is not None:
                        try:
                            early = (True, first())
                        except Exception:  # done by this process's caller instead
                            early = (False, None)
                        pickle.dump(early, out, protocol=pickle.HIGHEST_PROTOCOL)
                        out.flush()
                    prepare()
                    with os.fdopen(requests_read, "rb") as requests:
                        work, args = pickle.loads(requests.read())
                    try:
                        answer = (True, work(*args))
                    except Exception:  # done again by the caller, who reports it
                        answer = (False, None)
                    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)

            _live_and_exit(helper)
        os.close(requests_read)
        os.close(answers_write)
        self.answers = os.fdopen(answers_read, "rb")
        self.pid = pid

    def first_result(self) -> Any:
        """What `first()` returned in the helper (once); None without a helper or when it failed."""
        if not self.pid or not self._first_pending:
            return None
        self._first_pending = False
        try:
            done, result = pickle.load(self.answers)
        except Exception:  # it died
            return None
        return result if done else None

    def call(
        self, work: Callable[..., T], *args: Any, meanwhile: Callable[[], Any] | None = None
    ) -> T:
        """work(*args), by the helper when there is one (then `work` and `args` must pickle);
        `meanwhile()` runs here while the helper works."""
        if not self.pid:
            result = work(*args)
            if meanwhile:
                meanwhile()
            return result
        done = False
        try:
            self.first_result()  # not taken: passed over
            try:
                with os.fdopen(self.requests, "wb") as out:
                    pickle.dump((work, args), out, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # something would not pickle: it gets a broken request and stops
                pass
            if meanwhile:
                meanwhile()
            try:
                done, result = pickle.load(self.answers)
            except Exception:  # it died, or failed
                pass
        finally:
            self.answers.close()  # a helper still writing its answer then stops
            # Waited for on leaving, not now: its exit (unmapping its memory) takes a while.
            self.pid, self._ending = 0, self.pid
        return result if done else work(*args)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pid:  # never called: it has nothing to finish
            os.kill(self.pid, signal.SIGKILL)
            os.close(self.requests)
            self.answers.close()
            self.pid, self._ending = 0, self.pid
        if self._ending:
            os.waitpid(self._ending, 0)
            self._ending = 0


def _fork(*pipe_ends: int) -> int | None:
    """os.fork(); None when no process can be made, the pipes made for it then closed."""
    try:
        return os.fork()
    except OSError:
        for end in pipe_ends:
            os.close(end)
        return None


def _live_and_exit(helper: Callable[[], None]) -> NoReturn:
    """In a forked helper: run it, then end the process (status 1 if it failed), never
    returning into the parent's code."""
    code = 0
    try:
        helper()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _serial(
    work: Callable[[Any], T], chunks: Sequence[Any], progress: Callable[[int], None] | None
) -> list[T]:
    out = []
    for chunk in chunks:
        out.append(work(chunk))
        if progress:
            progress(len(out))
    return out


def _take(queue: int) -> int | None:
    """The next chunk's number from the queue, or None when it is empty."""
    taken = os.read(queue, 2)
    return struct.unpack("<H", taken)[0] if len(taken) == 2 else None
