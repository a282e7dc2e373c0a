"""Shared fixtures: a copy of the sample blog in a temporary folder, and a CLI runner."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedtool.cli import cli
from feedtool.posts import FrontMatter, Loaded, Post
from feedtool.subscribers import Store, Subscriber

REPO = Path(__file__).resolve().parents[1]
# ../shared holds the Atom RELAX NG and JSON Feed schemas; tests that need it skip without it.
SHARED = Path(os.environ.get("FEEDTOOL_SHARED", REPO.parent / "shared"))
SCHEMAS = SHARED / "schemas"
# The cache key (cache.cache_key_file) is made here, not in the home folder of whoever runs the
# tests.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="feedtool-test-cache-home-")
os.environ.pop("FEEDTOOL_CACHE_KEY", None)
# Hexo and Jekyll sites without `timezone`, and Hexo's permalink dates, use the machine's zone:
# the same on every machine the suite runs on (tests of other zones set TZ themselves).
os.environ["TZ"] = "UTC"


def need(*commands: str) -> str:
    """The path of the first of `commands` found; the test fails (never skips) without any:
    `make test` installs them (tests/install-tools.sh)."""
    for command in commands:
        if found := shutil.which(command):
            return found
    pytest.fail(f"{commands[0]} is not installed: run `make test-tools` (tests/install-tools.sh)")


def browse(chromium: str, url: str, profile: Path, *options: str, timeout: float = 120) -> str:
    """Run headless Chromium on `url` with `options` and a fresh `profile`; its standard output."""
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *options,
            url,
        ],
        check=True,
        capture_output=True,
        timeout=timeout,
        text=True,
    )
    return done.stdout


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
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item for each process forked while the test runs."""
    made: list[int] = []
    real = os.fork

    def counted() -> int:
        made.append(1)
        return real()

    monkeypatch.setattr(os, "fork", counted)
    return made


@pytest.fixture
def run():
    """Invoke the CLI in-process: run("build", "--out", "x") -> click Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def write_site(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`, a small site; return `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_post(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a post file (text as UTF-8, or raw bytes) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def body_of(message: EmailMessage, kind: str) -> str:
    """The text of `message`'s text/`kind` part; the test fails if it has none."""
    part = message.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    return part.get_content()


def post_of(loaded: Loaded) -> Post:
    """The post `loaded` read; the test fails, showing the findings, if it read none."""
    assert loaded.post is not None, loaded.diagnostics
    return loaded.post


def front_matter_of(loaded: Loaded) -> FrontMatter:
    """The front matter `loaded` read; the test fails, showing the findings, if it read none."""
    assert loaded.front_matter is not None, loaded.diagnostics
    return loaded.front_matter


def subscriber_of(store: Store, address: str) -> Subscriber:
    """`address`'s record in `store`; the test fails if it has none."""
    found = store.get(address)
    assert found is not None, f"{address} is not in the store"
    return found


def send_args(port: int, *extra: str) -> list[str]:
    """CLI arguments to send the 2025-W34 digest through the plain SMTP server on
    127.0.0.1:`port`."""
    return [
        "digest",
        "--week",
        "2025-W34",
        "--send",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-security",
        "none",
        *extra,
    ]


def checkout_env(unset: tuple[str, ...] = ()) -> dict[str, str]:
    """This environment for a Python child that imports feedtool from this checkout (not whatever
    is installed), without the variables named in `unset`."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in unset:
        env.pop(name, None)
    return env


def spawn_feedtool(
    cwd: Path, *args: str, unset: tuple[str, ...] = (), **popen_kwargs
) -> subprocess.Popen:
    """Start `python -m feedtool ARGS` from this checkout in `cwd`, without the environment
    variables named in `unset`; `popen_kwargs` (stdout=, stderr=, ...) go to subprocess.Popen."""
    return subprocess.Popen(
        [sys.executable, "-m", "feedtool", *args], cwd=cwd, env=checkout_env(unset), **popen_kwargs
    )


class SmtpRecorder:
    """An aiosmtpd handler that records messages and can misbehave on request."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()  # addresses answered 550 at RCPT
        self.tempfail: dict[str, int] = {}  # address -> how many 451 answers at RCPT first
        self.drop_data = 0  # hang up on the next N messages mid-DATA, without a reply
        # More faults (tests/test_send_faults.py):
        self.rcpt_replies: dict[
            str, list[str]
        ] = {}  # address -> replies at RCPT, one per try, before accepting
        self.data_replies: dict[
            str, list[str]
        ] = {}  # address -> replies after the message, one per try, before queuing
        self.refuse_data: dict[str, str] = {}  # address -> a reply after the message, every time
        self.data_delay = 0.0  # a slow server: seconds before answering the end of DATA
        self.tried: list[
            tuple[list[str], bytes]
        ] = []  # every complete message the server was sent, accepted or not
        self.login = (
            "",
            "",
        )  # (user, password) that AUTH accepts, for a server started with auth=True
        self.logins: list[tuple[str, bool]] = []  # (user, accepted) per AUTH attempt

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        if self.tempfail.get(address, 0) > 0:
            self.tempfail[address] -= 1
            return "451 4.3.0 try again later"
        if self.rcpt_replies.get(address):
            return self.rcpt_replies[address].pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.tried.append((list(envelope.rcpt_tos), envelope.original_content))
        if self.drop_data > 0:
            self.drop_data -= 1
            server.transport.close()
            return "421 4.4.2 gone"  # never reaches the client: the connection is closed
        if self.data_delay:
            import asyncio

            await asyncio.sleep(
                self.data_delay
            )  # cancelled (nothing queued) if the client hangs up first
        for rcpt in envelope.rcpt_tos:
            if rcpt in self.refuse_data:
                return self.refuse_data[rcpt]
            if self.data_replies.get(rcpt):
                return self.data_replies[rcpt].pop(0)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 2.0.0 queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        user = auth_data.login.decode("utf-8", "replace")
        ok = (user, auth_data.password.decode("utf-8", "replace")) == self.login
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts, _ in self.messages for rcpt in rcpts]


@contextlib.contextmanager
def running_smtp_server(
    recorder: SmtpRecorder, port: int = 0, *, auth: bool = False, smtputf8: bool = True
):
    """Run aiosmtpd on 127.0.0.1:`port` (0: a free one) while the block runs; yields the port.

    With auth=True it offers AUTH PLAIN/LOGIN in clear text (only ever on 127.0.0.1) and
    accepts `recorder.login`; it offers SMTPUTF8 unless smtputf8=False.
    """
    from aiosmtpd.controller import Controller

    if not port:
        port = free_port()
    options: dict[str, Any] = (
        {"authenticator": recorder.authenticate, "auth_require_tls": False} if auth else {}
    )
    options["enable_SMTPUTF8"] = smtputf8
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields (recorder, port)."""
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        yield recorder, port
