"""`feedtool serve` under load: 1,000 concurrent sign-ups from 127.0.0.1, and a SIGKILL mid-load."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

from conftest import SmtpRecorder, free_port, running_smtp_server
from test_serve import configure, wait_for_mail
from test_serve import start_service as start
from test_serve import stop_service as stop

SIGN_UPS = 1000


async def sign_up(port: int, address: str) -> int | None:
    """One POST /subscribe on a connection of its own: the status code, or None if it failed."""
    body = urlencode({"email": address}).encode()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        status = await reader.readline()
        await reader.read()
        writer.close()
    except OSError:
        return None
    parts = status.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


async def sign_ups(port: int, addresses: list[str], on_answer=None) -> list[int | None]:
    """POST every address at once (each on a connection of its own, as many clients would)."""

    async def one(address: str) -> int | None:
        code = await sign_up(port, address)
        if on_answer and code is not None:
            on_answer(code)
        return code

    return await asyncio.gather(*(one(a) for a in addresses))


def rows(blog: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(blog / ".feedtool" / "subscribers.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT key, status FROM subscribers").fetchall()


def test_the_per_client_limit_holds_under_a_thousand_concurrent_sign_ups(blog: Path):
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as smtp_port:
        port = free_port()
        configure(blog, smtp_port, f"http://127.0.0.1:{port}")  # per_client = 5 an hour
        child = start(blog, port)
        try:
            answers = asyncio.run(sign_ups(port, [f"r{n}@example.com" for n in range(SIGN_UPS)]))
            wait_for_mail(recorder, 5)
        finally:
            stop(child)
    assert answers.count(200) == 5 and answers.count(429) == SIGN_UPS - 5
    accepted = sorted(f"r{n}@example.com" for n, code in enumerate(answers) if code == 200)
    assert sorted(key for key, _ in rows(blog)) == accepted
    assert sorted(r for _, rcpts, _ in recorder.messages for r in rcpts) == accepted


def test_a_server_killed_mid_load_restarts_with_every_answered_sign_up(blog: Path):
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as smtp_port:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        configure(blog, smtp_port, url)
        config = blog / "feedtool.toml"
        config.write_text(
            config.read_text().replace("per_client = 5", f"per_client = {SIGN_UPS * 2}")
        )
        child = start(blog, port)
        answered = []

        def kill_after_some(code: int) -> None:
            answered.append(code)
            if len(answered) == SIGN_UPS // 3:
                os.kill(child.pid, signal.SIGKILL)

        addresses = [f"k{n}@example.com" for n in range(SIGN_UPS)]
        try:
            answers = asyncio.run(sign_ups(port, addresses, kill_after_some))
        finally:
            stop(child)
        assert child.returncode == -signal.SIGKILL
        assert set(answers) <= {200, None} and answers.count(200) >= SIGN_UPS // 3
        assert None in answers  # killed mid-load: some sign-ups never got an answer
        stored = dict(rows(blog))
        assert {a for a, code in zip(addresses, answers, strict=True) if code == 200} <= set(stored)
        assert set(stored.values()) == {"pending"} and len(stored) <= SIGN_UPS
        child = start(blog, port)  # the same database, as it was left
        try:
            assert asyncio.run(sign_ups(port, ["after@example.com"])) == [200]
        finally:
            stop(child)
        assert dict(rows(blog))["after@example.com"] == "pending"
