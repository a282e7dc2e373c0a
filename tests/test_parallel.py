"""parallel.map_chunks: the same answers as a loop, whatever the forked helper does."""

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


def test_progress_counts_this_processs_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    seen = []
    assert parallel.map_chunks(square_all, [[1], [2], [3]], seen.append) == [[1], [4], [9]]
    assert seen == [1, 2, 3]
