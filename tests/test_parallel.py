"""parallel: the same answers as doing the work here, whatever the forked helpers do."""

from __future__ import annotations

import os
import time

import pytest

from feedtool import parallel


def square_all(chunk: list[int]) -> list[int]:
    return [n * n for n in chunk]


def test_results_in_chunk_order_from_both_processes():
    chunks = [list(range(i, i + 5)) for i in range(0, 500, 5)]

    def work(chunk):
        time.sleep(0.002)  # long enough that both processes get chunks
        return os.getpid(), square_all(chunk)

    results = parallel.map_chunks(work, chunks)
    assert [squares for _, squares in results] == [square_all(c) for c in chunks]
    done_by = {pid for pid, _ in results}
    assert os.getpid() in done_by
    assert len(done_by) == (2 if parallel.cores() >= 2 else 1)


def test_an_exception_is_raised_here_whoever_met_it_first():
    def work(chunk):
        if chunk == 7:
            raise ValueError("chunk 7 is bad")
        return chunk

    with pytest.raises(ValueError, match="chunk 7 is bad"):
        parallel.map_chunks(work, list(range(20)))


def test_a_helper_that_dies_costs_only_time():
    parent = os.getpid()

    def work(chunk):
        if os.getpid() != parent:
            os._exit(3)  # the helper crashes on its first chunk, sending nothing
        return chunk * 2

    assert parallel.map_chunks(work, list(range(50))) == [n * 2 for n in range(50)]


def test_progress_counts_the_chunks_done_by_either_process():
    seen: list[int] = []

    def work(chunk):
        time.sleep(0.001)
        return chunk

    assert parallel.map_chunks(work, list(range(60)), seen.append) == list(range(60))
    assert seen == sorted(seen) and seen[-1] == 60 and len(seen) <= 60


def test_large_results_cross_the_pipe_whole():
    # Results far bigger than a pipe's buffer, arriving in many pieces.
    def work(chunk):
        return bytes([chunk % 256]) * 300_000

    assert parallel.map_chunks(work, list(range(40))) == [bytes([n]) * 300_000 for n in range(40)]


def test_progress_counts_this_processs_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    seen: list[int] = []
    assert parallel.map_chunks(square_all, [[1], [2], [3]], seen.append) == [[1], [4], [9]]
    assert seen == [1, 2, 3]


# Helper: module-level functions, since a call's work and arguments travel by pickle.
PREPARED: list[int] = []


def prepare() -> None:
    PREPARED.append(os.getpid())


def who_and_what(values: list[int]) -> tuple[int, list[int], list[int]]:
    return os.getpid(), PREPARED[:], [v * 10 for v in values]


def fails_in_a_helper(parent: int) -> int:
    if os.getpid() != parent:
        raise ValueError("only in the helper")
    return os.getpid()


def dies_in_a_helper(parent: int) -> int:
    if os.getpid() != parent:
        os._exit(3)
    return os.getpid()


def always_fails() -> None:
    raise KeyError("bad input")


def test_a_helper_prepares_beside_this_process_and_then_does_the_call():
    PREPARED.clear()
    with parallel.Helper(prepare) as helper:
        pid, prepared, result = helper.call(who_and_what, [1, 2])
    assert result == [10, 20]
    assert PREPARED == []  # prepare() did not run here...
    if parallel.cores() >= 2:
        assert pid != os.getpid() and prepared == [pid]  # ...but in the helper, before the call
    else:
        assert pid == os.getpid()


@pytest.mark.parametrize("work", [fails_in_a_helper, dies_in_a_helper])
def test_what_a_helper_cannot_do_is_done_here(work):
    with parallel.Helper(prepare) as helper:
        assert helper.call(work, os.getpid()) == os.getpid()


def test_an_error_of_the_call_is_raised_here():
    with parallel.Helper(prepare) as helper, pytest.raises(KeyError, match="bad input"):
        helper.call(always_fails)


def test_an_unused_helper_is_stopped_and_waited_for():
    with parallel.Helper(lambda: time.sleep(60)) as helper:
        pid = helper.pid
    assert helper.pid == 0
    if pid:
        with pytest.raises(ChildProcessError):  # already reaped: no zombie left
            os.waitpid(pid, 0)


def test_a_called_helper_is_waited_for_on_leaving_not_before():
    with parallel.Helper(prepare) as helper:
        pid = helper.call(who_and_what, [1])[0]
        if pid != os.getpid():
            # Answered, and not yet waited for: it is still there to wait for (WNOWAIT leaves it).
            waited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            assert waited is not None and waited.si_pid == pid
    assert helper._ending == 0
    if pid != os.getpid():
        with pytest.raises(ChildProcessError):  # reaped: no zombie left
            os.waitpid(pid, 0)


def test_without_a_second_core_the_call_is_made_here(monkeypatch, forks):
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    PREPARED.clear()
    with parallel.Helper(prepare) as helper:
        assert helper.call(who_and_what, [3])[0] == os.getpid()
    assert forks == [] and PREPARED == []


def test_meanwhile_runs_here_while_the_helper_works_and_its_errors_are_raised():
    seen = []
    with parallel.Helper(prepare) as helper:
        _, _, result = helper.call(who_and_what, [4], meanwhile=lambda: seen.append(os.getpid()))
    assert result == [40] and seen == [os.getpid()]

    def broken():
        raise OSError("disk full")

    with parallel.Helper(prepare) as helper, pytest.raises(OSError, match="disk full"):
        helper.call(who_and_what, [5], meanwhile=broken)


def first_pid() -> int:
    return os.getpid()


def test_the_first_step_runs_in_the_helper_and_its_result_comes_back_before_the_call():
    PREPARED.clear()
    with parallel.Helper(prepare, first=first_pid) as helper:
        helper_pid = helper.first_result()
        assert helper.first_result() is None  # once
        pid, prepared, _ = helper.call(who_and_what, [1])
    if parallel.cores() >= 2:
        assert helper_pid == pid != os.getpid() and prepared == [pid]
    else:
        assert helper_pid is None and pid == os.getpid()


def test_a_first_step_that_fails_or_is_not_taken_changes_nothing_else():
    with parallel.Helper(prepare, first=always_fails) as helper:
        assert helper.first_result() is None
        assert helper.call(who_and_what, [2])[2] == [20]
    with parallel.Helper(prepare, first=first_pid) as helper:  # never asked for: passed over
        assert helper.call(who_and_what, [3])[2] == [30]


def test_when_no_process_can_be_forked_the_work_is_done_here(monkeypatch):
    def refuse():
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    assert parallel.map_chunks(square_all, [[1], [2], [3]]) == [[1], [4], [9]]
    with parallel.Helper(prepare, first=first_pid) as helper:
        assert helper.first_result() is None
        assert helper.call(who_and_what, [6])[0] == os.getpid()
    if before:
        assert len(os.listdir("/proc/self/fd")) == before  # no pipe left open
