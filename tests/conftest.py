"""Shared fixtures: a copy of the sample blog in a temporary folder, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedtool.cli import cli

REPO = Path(__file__).resolve().parents[1]
# ../shared holds the Atom RELAX NG and JSON Feed schemas; tests that need it skip without it.
SHARED = Path(os.environ.get("FEEDTOOL_SHARED", REPO.parent / "shared"))
SCHEMAS = SHARED / "schemas"


@pytest.fixture
def blog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample blog (feedtool.toml + posts/); the working folder is set to it."""
    root = tmp_path / "blog"
    root.mkdir()
    shutil.copy(REPO / "feedtool.toml", root / "feedtool.toml")
    shutil.copytree(REPO / "posts", root / "posts")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def run():
    """Invoke the CLI in-process: run("build", "--out", "x") -> click Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def write_post(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a post file (text as UTF-8, or raw bytes) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


class SmtpRecorder:
    """An aiosmtpd handler that records messages and can misbehave on request."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()  # addresses answered 550 at RCPT
        self.tempfail: dict[str, int] = {}  # address -> how many 451 answers at RCPT first
        self.drop_data = 0  # hang up on the next N messages mid-DATA, without a reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        if self.tempfail.get(address, 0) > 0:
            self.tempfail[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_data > 0:
            self.drop_data -= 1
            server.transport.close()
            return "421 4.4.2 gone"  # never reaches the client: the connection is closed
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 queued"

    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts, _ in self.messages for rcpt in rcpts]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields (recorder, port)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()
