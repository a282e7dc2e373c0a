"""Sending survives faults: real SMTP servers on 127.0.0.1 that refuse, hang up, stall or
answer 421/451/550/554, and a sender killed part-way through a list.

Each test checks what the server really received (parsed with the standard library's email
parser) and what the ledger says. Two kinds of server:
- aiosmtpd (conftest.SmtpRecorder) for well-formed refusals, slowness and AUTH;
- FaultyServer below (plain sockets) for what aiosmtpd cannot stage: a 421 followed by a
  hang-up at any stage, a hang-up after some bytes of the message, silence, a held reply
  (to kill the sender at a known moment) and garbled replies.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email
import functools
import hashlib
import json
import resource
import signal
import socket
import struct
import subprocess
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import SmtpRecorder, free_port, running_smtp_server, send_args, spawn_feedtool

from feedtool import send
from feedtool.send import Ledger, SendError, Server, deliver
from feedtool.throttle import Pace

PASSWORD = "s3cret-Pa55-xyzzy"
DIGEST = "2025-W34"


# A plain-socket SMTP server that misbehaves on cue ---------------------------------------------


@dataclass
class Fault:
    """At `stage` (for a transaction to `rcpt`, if given), after skipping `skip` matches, do
    `action` the next `times` times.

    Stages: greeting, ehlo, mail, rcpt, data (the DATA command), body (while the message
    arrives), dot (the whole message is in, before the reply), rset.
    Actions: a reply such as "451 4.3.0 busy" (a 421 also hangs up, as RFC 5321 says);
    "drop" (hang up without a word); ("drop", n) in body: hang up after n bytes of the
    message; "silent" (say nothing until the client gives up); ("pause", s): answer as usual
    after s seconds; ("drip", s): the usual reply, a byte every s seconds; "hold" (in dot: wait for
    FaultyServer.release(commit) — commit=True keeps the message and answers 250, as a server
    that queued it before the client died would; commit=False hangs up, nothing queued).
    """

    stage: str
    action: object
    rcpt: str | None = None
    times: int = 1
    skip: int = 0


class _HangUp(Exception):
    pass


class FaultyServer:
    """A small SMTP server on 127.0.0.1 that follows its list of faults (see Fault)."""

    def __init__(self, *faults: Fault, auth: str | None = None, smtputf8: bool = True):
        self.faults = list(faults)
        self.auth = (
            auth  # the reply to AUTH PLAIN; "{credentials}" is what the client sent, decoded
        )
        self.smtputf8 = smtputf8
        self.messages: list[tuple[str, list[str], bytes]] = []  # messages answered 250
        self.connections = 0
        self.held = threading.Event()  # a "hold" fault is waiting for release()
        self._release = threading.Event()
        self._commit = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._start(self._accept)

    def __enter__(self) -> FaultyServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._release.set()
        for sock in [self._listener, *self._sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
            except OSError:
                pass
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def release(self, commit: bool) -> None:
        """End a "hold": queue the held message and answer 250 (commit) or hang up."""
        self._commit = commit
        self._release.set()

    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts, _ in self.messages for rcpt in rcpts]

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _fault(self, stage: str, rcpts=()):
        with self._lock:
            for fault in self.faults:
                if (
                    fault.stage == stage
                    and fault.times > 0
                    and (fault.rcpt is None or fault.rcpt in rcpts)
                ):
                    if fault.skip:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    return fault.action
        return None

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._sockets.append(conn)
            self._start(self._session, conn)

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(20)
        with conn, conn.makefile("rb") as reader:
            try:
                self._converse(conn, reader)
            except (_HangUp, OSError):
                pass

    def _converse(self, conn: socket.socket, reader) -> None:
        drip = [0.0]  # seconds between the bytes of the next reply (a "drip" fault)

        def say(*lines: str | bytes) -> None:
            data = b"".join(
                (line if isinstance(line, bytes) else line.encode()) + b"\r\n" for line in lines
            )
            if not drip[0]:
                return conn.sendall(data)
            for byte in data:
                if self._stop.wait(drip[0]):
                    raise _HangUp
                conn.sendall(bytes([byte]))
            drip[0] = 0.0

        def perform(action) -> bool:
            """Do a fault's action; True if it replied (instead of the normal reply)."""
            if action is None:
                return False
            if action == "drop":
                raise _HangUp
            if action == "silent":
                self._stop.wait(10)  # the client times out and hangs up long before this
                raise _HangUp
            if isinstance(action, tuple) and action[0] == "drip":
                drip[0] = action[1]
                return False
            if isinstance(action, tuple) and action[0] == "pause":
                self._stop.wait(action[1])
                return False
            say(action)
            if str(action).startswith("421"):
                raise _HangUp
            return True

        if not perform(self._fault("greeting")):
            say("220 faulty.test ESMTP")
        mail_from = ""
        rcpts: list[str] = []
        while True:
            line = reader.readline(4096)
            if not line:
                return
            verb, _, argument = line.rstrip(b"\r\n").decode("utf-8", "replace").partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                if not perform(self._fault("ehlo")):
                    say(
                        "250-faulty.test",
                        "250-8BITMIME",
                        *(["250-AUTH PLAIN"] if self.auth else []),
                        "250 SMTPUTF8" if self.smtputf8 else "250 HELP",
                    )
            elif verb == "AUTH":
                initial = argument.partition(" ")[2]
                try:
                    credentials = base64.b64decode(initial).decode("utf-8", "replace")
                except ValueError:
                    credentials = initial
                assert self.auth is not None, "AUTH was not offered"
                say(self.auth.format(credentials=credentials))
                if self.auth.startswith("334"):  # a challenge; whatever comes back is refused
                    reader.readline(4096)
                    say("535 5.7.8 no")
            elif verb == "MAIL":
                mail_from, rcpts = argument.split(":", 1)[1].split()[0].strip("<>"), []
                if not perform(self._fault("mail")):
                    say("250 2.1.0 OK")
            elif verb == "RCPT":
                address = argument.split(":", 1)[1].strip().strip("<>")
                if not perform(self._fault("rcpt", [address])):
                    rcpts.append(address)
                    say("250 2.1.5 OK")
            elif verb == "DATA":
                if perform(self._fault("data", rcpts)):
                    continue
                say("354 go ahead")
                drop = self._fault("body", rcpts)
                received, data = 0, []
                while True:
                    chunk = reader.readline(65536)
                    if not chunk:
                        return
                    received += len(chunk)
                    if drop is not None and received >= drop[1]:
                        # An abortive close (RST) in the middle of the message.
                        conn.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        raise _HangUp
                    if chunk == b".\r\n":
                        break
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                message = (mail_from, list(rcpts), b"".join(data))
                mail_from, rcpts = "", []
                action = self._fault("dot", message[1])
                if action == "hold":
                    self.held.set()
                    self._release.wait(20)
                    if not self._commit:
                        raise _HangUp
                elif perform(action):
                    continue
                self.messages.append(message)
                say("250 2.0.0 queued")
            elif verb == "RSET":
                mail_from, rcpts = "", []
                if not perform(self._fault("rset")):
                    say("250 2.0.0 reset")
            elif verb == "NOOP":
                say("250 2.0.0 OK")
            elif verb == "QUIT":
                say("221 2.0.0 bye")
                return
            else:
                say("502 5.5.2 not implemented")


# Helpers ---------------------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def ids_by_recipient(messages) -> dict[str, list[str]]:
    """recipient -> the Message-IDs of the copies the server accepted (checked to be whole)."""
    found: dict[str, list[str]] = defaultdict(list)
    for _, (rcpt,), data in messages:
        msg = parse(data)
        assert msg["To"] == rcpt and msg.defects == []
        assert msg.get_body(("plain",)) is not None  # the whole message, not a torn one
        found[rcpt].append(msg["Message-ID"])
    return found


def build_message(recipient: str) -> EmailMessage:
    """Like digest.message: one message per recipient with a stable Message-ID."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Blog <newsletter@pan.example.com>"
    msg["To"] = recipient
    msg["Subject"] = "周报 2025-W34"
    msg["Message-ID"] = (
        f"<digest.{DIGEST}.{hashlib.sha256(recipient.encode()).hexdigest()[:16]}@pan.example.com>"
    )
    msg.set_content("本期 3 篇。\n" + "正文很长。" * 2000)  # bigger than a socket buffer or two
    return msg


def addresses(n: int) -> list[str]:
    return [f"r{i:02d}@example.com" for i in range(1, n + 1)]


def ledger_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def server(port: int, **options) -> Server:
    return Server("127.0.0.1", port, "none", **options)


class FakeTime:
    """A clock that only sleeping moves on: what a Pace waits is exact."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def in_time(function, seconds: float = 15):
    """Run `function` in a thread; fail (instead of hanging the suite) if it is not done in time."""
    result: dict = {}

    def target():
        try:
            result["value"] = function()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / ".feedtool" / "sent.jsonl")


@pytest.fixture
def fast_retries(monkeypatch):
    """CLI runs retry without waiting 1 s, 2 s, 4 s (the schedule itself is tested on deliver)."""
    monkeypatch.setattr(send, "deliver", functools.partial(send.deliver, backoff=0))


# deliver(): temporary refusals are retried, permanent ones reported --------------------------


def test_backoff_is_one_two_four_seconds_and_retries_carry_the_same_message_id(ledger, monkeypatch):
    recorder = SmtpRecorder()
    recorder.rcpt_replies["a@example.com"] = ["451 4.3.0 busy", "451 4.3.0 busy"]
    recorder.data_replies["a@example.com"] = ["451 4.3.0 later"]
    fake = FakeTime()
    monkeypatch.setattr(send, "_sleep", fake.sleep)
    pace = Pace(clock=fake.clock, sleep=fake.sleep)
    with running_smtp_server(recorder) as port:
        outcome = deliver(DIGEST, ["a@example.com"], build_message, server(port), ledger, pace=pace)
    assert outcome.sent == ["a@example.com"] and outcome.ok
    assert fake.slept == [1.0, 2.0, 4.0]
    assert ids_by_recipient(recorder.messages) == {
        "a@example.com": [build_message("a@example.com")["Message-ID"]]
    }
    # The refused try at DATA carried the same Message-ID as the accepted one.
    assert {parse(data)["Message-ID"] for _, data in recorder.tried} == {
        build_message("a@example.com")["Message-ID"]
    }
    assert [r["recipient"] for r in ledger_lines(ledger.path)] == ["a@example.com"]


def test_451_at_rcpt_and_at_data_are_retried_and_delivered_once(ledger):
    recorder = SmtpRecorder()
    recorder.rcpt_replies["b@example.com"] = ["451 4.7.1 greylisted"]
    recorder.data_replies["c@example.com"] = ["451 4.3.0 local error", "452 4.3.1 out of space"]
    to = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    with running_smtp_server(recorder) as port:
        outcome = deliver(DIGEST, to, build_message, server(port), ledger, backoff=0)
    assert outcome.ok and outcome.sent == to
    assert {r: len(ids) for r, ids in ids_by_recipient(recorder.messages).items()} == dict.fromkeys(
        to, 1
    )
    assert [r["recipient"] for r in ledger_lines(ledger.path)] == to


def test_permanent_refusals_are_reported_and_the_others_still_go_out(ledger):
    recorder = SmtpRecorder()
    recorder.refuse.add("gone@example.com")  # 550 at RCPT
    recorder.refuse_data["spam@example.com"] = "554 5.7.1 message refused"
    to = ["a@example.com", "gone@example.com", "b@example.com", "spam@example.com", "c@example.com"]
    with running_smtp_server(recorder) as port:
        outcome = deliver(DIGEST, to, build_message, server(port), ledger, backoff=0)
    assert outcome.failed == {
        "gone@example.com": "550 5.1.1 no such user here",
        "spam@example.com": "554 5.7.1 message refused",
    }
    assert not outcome.deferred and not outcome.ok
    assert outcome.sent == ["a@example.com", "b@example.com", "c@example.com"]
    assert sorted(recorder.recipients()) == ["a@example.com", "b@example.com", "c@example.com"]
    assert len(recorder.tried) == 4  # a 5xx is not retried: spam@ was tried once
    assert [r["recipient"] for r in ledger_lines(ledger.path)] == outcome.sent
    # The next run tries only the refused ones (they are not in the ledger), nobody twice.
    recorder.refuse.clear()
    with running_smtp_server(recorder) as port:
        again = deliver(DIGEST, to, build_message, server(port), ledger, backoff=0)
    assert again.sent == ["gone@example.com"] and list(again.failed) == ["spam@example.com"]
    assert sorted(again.skipped) == ["a@example.com", "b@example.com", "c@example.com"]
    assert Counter(recorder.recipients()) == Counter(
        ["a@example.com", "b@example.com", "c@example.com", "gone@example.com"]
    )


@pytest.mark.parametrize("stage", ["greeting", "mail", "rcpt", "data", "dot"])
def test_421_means_reconnect_not_a_lost_try(stage, ledger):
    # One 421 at `stage` for the second recipient; the server hangs up after it. With a single
    # retry, the retry must go over a new connection (not the dead one) and succeed.
    fault = Fault(
        stage,
        "421 4.3.2 service shutting down",
        rcpt=None if stage in ("greeting", "mail") else "b@example.com",
        skip=1 if stage == "mail" else 0,
    )
    to = ["a@example.com", "b@example.com", "c@example.com"]
    with FaultyServer(fault) as smtp:
        outcome = deliver(
            DIGEST, to, build_message, server(smtp.port), ledger, retries=1, backoff=0
        )
    assert outcome.ok, (outcome.deferred, outcome.failed)
    assert outcome.sent == to
    assert {r: len(ids) for r, ids in ids_by_recipient(smtp.messages).items()} == dict.fromkeys(
        to, 1
    )
    assert smtp.connections == 2
    assert [r["recipient"] for r in ledger_lines(ledger.path)] == to


def test_a_refusal_then_a_hang_up_on_rset_does_not_lose_the_next_recipient(ledger):
    with FaultyServer(
        Fault("rcpt", "550 5.1.1 unknown", rcpt="gone@example.com"), Fault("rset", "drop")
    ) as smtp:
        outcome = deliver(
            DIGEST,
            ["gone@example.com", "a@example.com"],
            build_message,
            server(smtp.port),
            ledger,
            retries=0,
            backoff=0,
        )
    assert outcome.failed == {"gone@example.com": "550 5.1.1 unknown"}
    assert outcome.sent == ["a@example.com"] and smtp.recipients() == ["a@example.com"]


def test_a_454_at_data_command_then_success(ledger):
    with FaultyServer(Fault("data", "454 4.7.0 try later", rcpt="a@example.com")) as smtp:
        outcome = deliver(
            DIGEST,
            ["a@example.com", "b@example.com"],
            build_message,
            server(smtp.port),
            ledger,
            retries=1,
            backoff=0,
        )
    assert outcome.ok and smtp.recipients() == ["a@example.com", "b@example.com"]


# deliver(): hang-ups, silence, an unreachable server --------------------------------------------


def test_a_reset_after_the_whole_message_is_never_resent(ledger):
    # The server reads ~3 KB, then resets the connection: the client had written the whole message
    # and its final dot, and cannot know whether the server took it (a server that read it all and
    # then reset does deliver it), so it is recorded as unconfirmed and never sent again (RFC 5321
    # 6.1: a duplicate is worse than a loss the sender reports).
    to = addresses(4)
    with FaultyServer(Fault("body", ("drop", 3000), rcpt="r02@example.com", times=5)) as smtp:
        first = deliver(DIGEST, to, build_message, server(smtp.port), ledger, retries=3, backoff=0)
        assert first.sent == ["r01@example.com"] and list(first.uncertain) == ["r02@example.com"]
        assert "may have been delivered" in first.uncertain["r02@example.com"]
        assert all(first.deferred[r].startswith("not tried") for r in to[2:]) and not first.failed
        second = deliver(DIGEST, to, build_message, server(smtp.port), ledger, retries=3, backoff=0)
    assert second.ok and set(second.skipped) == set(to[:2]) and second.sent == to[2:]
    assert smtp.connections == 2  # the first run's, and the rerun's: r02 was tried once
    assert all(len(ids) == 1 for ids in ids_by_recipient(smtp.messages).values())


def test_connection_refused_defers_everyone_quickly(ledger):
    port = free_port()  # nothing listens there
    outcome = in_time(
        lambda: deliver(DIGEST, addresses(3), build_message, server(port), ledger, backoff=0)
    )
    assert not outcome.sent and not outcome.failed
    assert outcome.deferred == {
        "r01@example.com": f"cannot connect to 127.0.0.1:{port}: connection refused",
        "r02@example.com": f"not tried: cannot connect to 127.0.0.1:{port}: connection refused",
        "r03@example.com": f"not tried: cannot connect to 127.0.0.1:{port}: connection refused",
    }
    assert ledger_lines(ledger.path) == []  # nothing recorded (a line reserved, then blanked)


@pytest.mark.parametrize("stage", ["greeting", "ehlo", "rcpt", "data"])
def test_a_server_slower_than_the_timeout_cannot_hang_the_run(stage, ledger):
    to = addresses(3)
    with FaultyServer(Fault(stage, "silent", times=99)) as smtp:
        outcome = in_time(
            lambda: deliver(
                DIGEST,
                to,
                build_message,
                server(smtp.port, timeout=0.3),
                ledger,
                retries=1,
                backoff=0,
            )
        )
    assert not outcome.sent and not outcome.failed and not smtp.messages
    reason = f"127.0.0.1:{smtp.port} did not answer within 0.3 s"
    assert outcome.deferred == {
        "r01@example.com": reason,
        "r02@example.com": f"not tried: {reason}",
        "r03@example.com": f"not tried: {reason}",
    }
    assert smtp.connections == 2  # one retry, then the rest wait for the next run
    assert ledger_lines(ledger.path) == []  # nothing recorded (a line reserved, then blanked)


def test_the_final_reply_is_waited_for_longer_than_a_command_and_nobody_gets_two(ledger):
    # RFC 5321 4.5.3.2.6: the reply to the final dot may take minutes (the server checks the
    # message). A client that gave up after its command timeout and sent again made duplicates.
    recorder = SmtpRecorder()
    recorder.data_delay = 1.0  # longer than a command may take here
    to = addresses(2)
    with running_smtp_server(recorder) as port:
        outcome = deliver(
            DIGEST, to, build_message, server(port, timeout=0.3, data_timeout=10), ledger, backoff=0
        )
    assert outcome.ok and outcome.sent == to
    assert len(recorder.tried) == 2  # no second try
    assert {r: len(ids) for r, ids in ids_by_recipient(recorder.messages).items()} == dict.fromkeys(
        to, 1
    )


@pytest.mark.parametrize(
    "fault", [("pause", 3), "drop", "2x0 garbled"], ids=["queued late", "closed", "garbled"]
)
def test_a_message_the_server_never_confirms_is_uncertain_and_never_sent_again(fault, ledger):
    # The server has the whole message and its reply never comes (or cannot be read): it may
    # deliver it, so it is not sent again, by this run or the next; the rest wait for the next.
    to = addresses(3)
    with FaultyServer(Fault("dot", fault, rcpt="r01@example.com", times=9)) as smtp:
        first = deliver(
            DIGEST,
            to,
            build_message,
            server(smtp.port, timeout=0.3, data_timeout=0.3),
            ledger,
            backoff=0,
        )
        assert not first.sent and not first.failed and list(first.uncertain) == ["r01@example.com"]
        assert first.uncertain["r01@example.com"].endswith(
            "after the whole message was sent; it may have been delivered, so it is not sent again"
        )
        assert list(first.deferred) == to[1:]
        assert all(reason.startswith("not tried: ") for reason in first.deferred.values())
        ledger_now = [(r["recipient"], r["status"]) for r in ledger_lines(ledger.path)]
        assert ledger_now == [("r01@example.com", "uncertain")]
        again = deliver(DIGEST, to, build_message, server(smtp.port), ledger, backoff=0)
        assert again.ok and again.sent == to[1:] and again.skipped == ["r01@example.com"]
    copies = Counter(smtp.recipients())  # (the server queues a late message when it closes)
    late = {"r01@example.com": 1} if fault[0] == "pause" else {}
    assert copies == Counter({**dict.fromkeys(to[1:], 1), **late})


def test_a_slow_server_within_the_timeout_is_fine(ledger):
    recorder = SmtpRecorder()
    recorder.data_delay = 0.2
    with running_smtp_server(recorder) as port:
        outcome = deliver(
            DIGEST, addresses(2), build_message, server(port, timeout=5), ledger, backoff=0
        )
    assert outcome.ok and sorted(recorder.recipients()) == addresses(2)


def test_the_timeouts_default_to_rfc_5321s():
    defaults = Server("127.0.0.1", 25, "none")
    assert (defaults.timeout, defaults.data_timeout) == (300.0, 600.0)  # 4.5.3.2.1-5, 4.5.3.2.6


@pytest.mark.parametrize("stage", ["greeting", "ehlo", "rcpt"])
def test_a_reply_that_drips_in_is_timed_out_as_a_whole(stage, ledger):
    # A byte every 0.1 s never lets a 0.5 s read timeout fire; the command's deadline does.
    to = addresses(3)
    with FaultyServer(Fault(stage, ("drip", 0.1), times=99)) as smtp:
        outcome = in_time(
            lambda: deliver(
                DIGEST,
                to,
                build_message,
                server(smtp.port, timeout=0.5),
                ledger,
                retries=1,
                backoff=0,
            )
        )
        # The lock is free again: a second run goes through the same motions.
        again = deliver(
            DIGEST, to, build_message, server(smtp.port, timeout=0.5), ledger, retries=0
        )
    assert not outcome.sent and not outcome.uncertain and not smtp.messages
    reason = f"127.0.0.1:{smtp.port} did not answer within 0.5 s"
    assert outcome.deferred == {
        "r01@example.com": reason,
        "r02@example.com": f"not tried: {reason}",
        "r03@example.com": f"not tried: {reason}",
    }
    assert smtp.connections == 3 and not again.sent
    assert ledger_lines(ledger.path) == []


@pytest.mark.parametrize(
    "fault",
    [Fault("dot", ("pause", 0.4), times=99), Fault("rcpt", ("drip", 0.1), times=99)],
    ids=["slow", "dripping"],
)
def test_the_run_stops_at_its_deadline_and_the_rest_wait_for_the_next(fault, ledger):
    to = addresses(8)
    limit = "the run took its time limit ([smtp] run_timeout = 1 s)"
    with FaultyServer(fault) as smtp:
        first = in_time(
            lambda: deliver(
                DIGEST,
                to,
                build_message,
                server(smtp.port, timeout=5, run_timeout=1),
                ledger,
                backoff=0,
            )
        )
        done = len(first.sent)
        assert (
            first.sent == to[:done] and done < len(to) and not first.uncertain and not first.failed
        )
        assert first.deferred == {
            to[done]: limit,
            **{r: f"not tried: {limit}" for r in to[done + 1 :]},
        }
        fault.times = 0
        again = deliver(DIGEST, to, build_message, server(smtp.port), ledger, backoff=0)
    assert again.ok and again.sent == to[done:]
    assert {r: len(ids) for r, ids in ids_by_recipient(smtp.messages).items()} == dict.fromkeys(
        to, 1
    )


@pytest.mark.parametrize(
    "fault, expected",
    [
        (Fault("greeting", "554 5.7.1 go away"), "refuses"),
        (Fault("greeting", "hello there"), "could not be understood"),
        (Fault("ehlo", "250 " + "x" * 9000), "Line too long"),
        (Fault("mail", "553 5.7.1 sender not allowed"), "refuses the sender"),
    ],
)
def test_a_broken_or_refusing_server_is_a_clear_error_not_a_traceback(fault, expected, ledger):
    with FaultyServer(fault) as smtp, pytest.raises(SendError, match=expected):
        deliver(
            DIGEST, addresses(2), build_message, server(smtp.port), ledger, retries=1, backoff=0
        )
    assert ledger_lines(ledger.path) == []  # nothing recorded (a line reserved, then blanked)


def test_odd_bytes_in_a_reply_are_reported_not_raised(ledger):
    with FaultyServer(
        Fault("rcpt", b"550 5.1.1 \xff\xfe unknown \xe4\xb8\xad", rcpt="a@example.com")
    ) as smtp:
        outcome = deliver(
            DIGEST,
            ["a@example.com", "b@example.com"],
            build_message,
            server(smtp.port),
            ledger,
            backoff=0,
        )
    assert outcome.failed["a@example.com"].startswith("550 5.1.1") and outcome.sent == [
        "b@example.com"
    ]


def test_a_multi_line_reply_with_control_characters_is_reported_on_one_line(ledger):
    reply = (
        "550-5.1.1 The account you tried to reach does not exist.\r\n"
        "550 5.1.1 \x1b[31mSee\tthe help page."
    )
    with FaultyServer(Fault("rcpt", reply, rcpt="a@example.com")) as smtp:
        outcome = deliver(
            DIGEST, ["a@example.com"], build_message, server(smtp.port), ledger, backoff=0
        )
    assert outcome.failed == {
        "a@example.com": "550 5.1.1 The account you tried to reach does not exist. "
        "5.1.1  [31mSee the help page."
    }


def test_settings_that_cannot_work_are_refused_before_connecting(ledger):
    with pytest.raises(SendError, match="must be ASCII"):
        deliver(
            DIGEST,
            ["a@example.com"],
            build_message,
            server(free_port(), user="pan", password="pässword"),
            ledger,
        )
    with pytest.raises(SendError, match="not a valid host name"):  # IDNA fails before any lookup
        deliver(
            DIGEST, ["a@example.com"], build_message, Server("bad..host", 587, "starttls"), ledger
        )
    with pytest.raises(SendError, match="not an email address"):
        send.read_recipients(["ok@example.com", "a@example.com\x1b[2J"], [])


def test_a_non_ascii_address_needs_smtputf8_else_it_is_a_permanent_failure(ledger, tmp_path):
    to = ["张三@example.com", "a@example.com"]
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:  # aiosmtpd offers SMTPUTF8
        outcome = deliver(DIGEST, to, build_message, server(port), ledger, backoff=0)
    assert outcome.ok and sorted(recorder.recipients()) == ["a@example.com", "张三@example.com"]
    with FaultyServer(smtputf8=False) as smtp:
        outcome = deliver(
            DIGEST,
            to,
            build_message,
            server(smtp.port),
            Ledger(tmp_path / "other.jsonl"),
            backoff=0,
        )
    assert "SMTPUTF8" in outcome.failed["张三@example.com"]
    assert outcome.sent == ["a@example.com"] and smtp.recipients() == ["a@example.com"]


def test_tls_settings_that_do_not_fit_the_server_are_a_clear_error(ledger):
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        with pytest.raises(SendError, match="does not offer STARTTLS"):
            deliver(
                DIGEST,
                ["a@example.com"],
                build_message,
                Server("127.0.0.1", port, "starttls"),
                ledger,
                backoff=0,
            )
        with pytest.raises(SendError, match="TLS"):
            in_time(
                lambda: deliver(
                    DIGEST,
                    ["a@example.com"],
                    build_message,
                    Server("127.0.0.1", port, "ssl", timeout=2),
                    ledger,
                    backoff=0,
                )
            )
    assert recorder.messages == []


# The ledger ------------------------------------------------------------------------------------


def test_a_torn_last_line_is_ignored_and_later_records_start_on_a_new_line(ledger):
    ledger.record(DIGEST, "a@example.com", "<1@x>")
    with open(ledger.path, "ab") as handle:  # a kill in the middle of writing the next record
        handle.write(b'{"digest": "2025-W34", "recipient": "b@exa')
    assert ledger.sent(DIGEST) == {"a@example.com"}
    ledger.record(DIGEST, "c@example.com", "<3@x>")
    assert ledger.sent(DIGEST) == {"a@example.com", "c@example.com"}
    lines = ledger.path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and json.loads(lines[-2])["recipient"] == "c@example.com"


def test_a_torn_line_cut_inside_a_multibyte_character_is_ignored(ledger):
    ledger.record(DIGEST, "张三@example.com", "<1@x>")
    whole = json.dumps(
        {"digest": DIGEST, "recipient": "李四@example.com"}, ensure_ascii=False
    ).encode()
    with open(ledger.path, "ab") as handle:
        handle.write(whole[: whole.index("李".encode()) + 1])  # half a character
    assert ledger.sent(DIGEST) == {"张三@example.com"}
    ledger.record(DIGEST, "王五@example.com", "<3@x>")
    assert ledger.sent(DIGEST) == {"张三@example.com", "王五@example.com"}


def test_the_ledger_only_counts_its_own_digest_and_ignores_junk(ledger):
    ledger.path.parent.mkdir(parents=True)
    ledger.path.write_bytes(
        b'\x00\x00\x00\n[1, 2]\n"text"\n{"digest": "2025-W33", "recipient": "old@example.com"}\n'
        b'{"digest": "2025-W34", "recipient": "New@Example.com"}\n'
    )
    assert ledger.sent(DIGEST) == {"new@example.com"}


@contextlib.contextmanager
def file_size_limit(size: int):
    """Writes past `size` bytes of any file fail (EFBIG), as on a full disk, while the block
    runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the error, not the signal that kills
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_ledger_that_cannot_be_written_stops_the_send_before_the_next_message(ledger):
    # The disk fills while sending: the recipient whose line cannot be written is named and not
    # sent to, nor anyone after; the next run sends to them, and nobody gets two.
    to = addresses(5)
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        assert deliver(DIGEST, to[:1], build_message, server(port), ledger).sent == to[:1]
        line = ledger.path.stat().st_size
        with file_size_limit(4 * line - 10):  # room for two more lines, not three
            outcome = deliver(DIGEST, to, build_message, server(port), ledger, backoff=0)
        assert outcome.sent == to[1:3] and not outcome.failed
        assert list(outcome.deferred) == to[3:]
        assert outcome.deferred["r04@example.com"].startswith(
            f"not sent: the send ledger cannot be written ({ledger.path}: cannot write"
        )
        assert outcome.deferred["r05@example.com"].startswith("not tried: ")
        assert sorted(recorder.recipients()) == to[:3]
        again = deliver(DIGEST, to, build_message, server(port), ledger, backoff=0)
    assert again.ok and again.sent == to[3:]
    assert {r: len(ids) for r, ids in ids_by_recipient(recorder.messages).items()} == dict.fromkeys(
        to, 1
    )
    assert ledger.sent(DIGEST) == set(to)


# The command line ------------------------------------------------------------------------------


def to_args(recipients) -> list[str]:
    return [arg for r in recipients for arg in ("--to", r)]


def test_cli_server_down_then_up(blog: Path, run, fast_retries):
    port = free_port()
    to = addresses(3)
    result = run(*send_args(port, *to_args(to)))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Sent 2025-W34 to 0 recipients; 3 not sent." in result.stdout
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in result.stderr
    for address in to:
        assert f"\t{address}\t" in result.stderr
    assert ledger_lines(blog / ".feedtool" / "sent.jsonl") == []
    recorder = SmtpRecorder()
    with running_smtp_server(recorder, port):
        again = run(*send_args(port, *to_args(to)))
    assert again.exit_code == 0, again.output
    assert {r: len(ids) for r, ids in ids_by_recipient(recorder.messages).items()} == dict.fromkeys(
        to, 1
    )
    assert sorted(r["recipient"] for r in ledger_lines(blog / ".feedtool" / "sent.jsonl")) == to


def test_cli_a_reset_after_the_message_is_reported_and_not_resent(blog: Path, run, fast_retries):
    to = addresses(4)
    with FaultyServer(Fault("body", ("drop", 2000), rcpt="r02@example.com", times=5)) as smtp:
        first = run(*send_args(smtp.port, *to_args(to)))
        assert first.exit_code == 1 and "Traceback" not in first.output
        assert "r02@example.com" in first.stderr and "unconfirmed" in first.stderr
        second = run(*send_args(smtp.port, *to_args(to)))
        assert second.exit_code == 0, second.output
        third = run(*send_args(smtp.port, *to_args(to)))
    assert "4 already had it" in third.stdout
    assert all(len(ids) == 1 for ids in ids_by_recipient(smtp.messages).values())
    assert set(ids_by_recipient(smtp.messages)) <= set(to)


def test_cli_permanent_failures_are_listed_at_the_end_and_a_rerun_retries_only_them(
    blog: Path, run, fast_retries
):
    recorder = SmtpRecorder()
    recorder.refuse.add("gone@example.com")
    recorder.refuse_data["spam@example.com"] = "554 5.7.1 refused by policy"
    recorder.rcpt_replies["grey@example.com"] = ["451 4.7.1 greylisted", "421 4.7.0 slow down"]
    recorder.data_replies["late@example.com"] = ["451 4.3.0 later"]
    to = [
        "a@example.com",
        "gone@example.com",
        "grey@example.com",
        "spam@example.com",
        "late@example.com",
    ]
    with running_smtp_server(recorder) as port:
        result = run(*send_args(port, *to_args(to)))
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert "Sent 2025-W34 to 3 recipients; 2 not sent." in result.stdout
        tail = result.stderr.strip().splitlines()[-2:]
        assert tail == [
            "failed\tgone@example.com\t550 5.1.1 no such user here",
            "failed\tspam@example.com\t554 5.7.1 refused by policy",
        ]
        assert Counter(recorder.recipients()) == Counter(
            ["a@example.com", "grey@example.com", "late@example.com"]
        )
        recorder.refuse.clear()
        again = run(*send_args(port, *to_args(to)))
    assert again.exit_code == 1
    assert "Sent 2025-W34 to 1 recipient; 3 already had it; 1 not sent." in again.stdout
    assert (
        again.stderr.strip().splitlines()[-1]
        == "failed\tspam@example.com\t554 5.7.1 refused by policy"
    )
    assert Counter(recorder.recipients()) == Counter(
        ["a@example.com", "grey@example.com", "late@example.com", "gone@example.com"]
    )
    ledger = ledger_lines(blog / ".feedtool" / "sent.jsonl")
    assert sorted(r["recipient"] for r in ledger) == [
        "a@example.com",
        "gone@example.com",
        "grey@example.com",
        "late@example.com",
    ]


def test_cli_an_unconfirmed_message_is_named_and_never_sent_again(blog: Path, run, fast_retries):
    config = blog / "feedtool.toml"  # its last table is [smtp]
    settings = config.read_text(encoding="utf-8") + "timeout = 0.5\ndata_timeout = 0.3\n"
    config.write_text(settings, encoding="utf-8")
    to = addresses(3)
    with FaultyServer(Fault("dot", ("pause", 3), rcpt="r01@example.com")) as smtp:
        first = run(*send_args(smtp.port, *to_args(to)))
        assert first.exit_code == 1 and "Traceback" not in first.output
        assert "Sent 2025-W34 to 0 recipients; 2 not sent; 1 unconfirmed." in first.stdout
        ledger = blog / ".feedtool" / "sent.jsonl"
        assert (
            "unconfirmed (not sent again; to resend, delete its line from "
            f"{ledger.relative_to(blog)})\tr01@example.com\t127.0.0.1:{smtp.port} did not answer "
            "within 0.3 s after the whole message "
            "was sent" in first.stderr
        )
        again = run(*send_args(smtp.port, *to_args(to)))
        assert again.exit_code == 0, again.output
        assert "Sent 2025-W34 to 2 recipients; 1 already had it." in again.stdout
    assert Counter(smtp.recipients()) == Counter(to)  # r01's came late, and only once


# The password never shows ----------------------------------------------------------------------


def _quick_and_impatient(digest, recipients, build, server, ledger, **options):
    """deliver() as the CLI calls it, but giving up on a silent server after 0.3 s, once."""
    impatient = dataclasses.replace(server, timeout=0.3, data_timeout=0.3)
    return deliver(
        digest, recipients, build, impatient, ledger, **{**options, "backoff": 0, "retries": 0}
    )


@pytest.mark.parametrize(
    "mode",
    [
        "refused",
        "wrong password",
        "echoing server",
        "garbled challenge",
        "no AUTH offered",
        "hang-up",
        "stall",
        "right password",
    ],
)
def test_the_password_never_appears_in_output(mode, blog: Path, run, monkeypatch, fast_retries):
    monkeypatch.setenv("FEEDTOOL_SMTP_USER", "pan")
    monkeypatch.setenv("FEEDTOOL_SMTP_PASSWORD", PASSWORD)
    recorder = SmtpRecorder()
    recorder.login = ("pan", "wrong" if mode == "wrong password" else PASSWORD)
    faulty = {
        "echoing server": lambda: FaultyServer(auth="535 5.7.8 bad credentials: {credentials}"),
        "garbled challenge": lambda: FaultyServer(auth="334 abc"),
        "no AUTH offered": lambda: FaultyServer(),
        "hang-up": lambda: FaultyServer(Fault("mail", "drop", times=99), auth="235 2.7.0 OK"),
        "stall": lambda: FaultyServer(Fault("dot", "silent", times=99), auth="235 2.7.0 OK"),
    }.get(mode)
    if mode == "stall":
        monkeypatch.setattr(send, "deliver", _quick_and_impatient)
    if faulty:
        with faulty() as smtp:
            result = run(*send_args(smtp.port, "--to", "a@example.com"))
    elif mode == "refused":
        result = run(*send_args(free_port(), "--to", "a@example.com"))
    else:
        with running_smtp_server(recorder, auth=True) as port:
            result = run(*send_args(port, "--to", "a@example.com"))
    output = result.stdout + result.stderr
    assert PASSWORD not in output and "Traceback" not in output
    ledger = blog / ".feedtool" / "sent.jsonl"
    assert not ledger.exists() or PASSWORD not in ledger.read_text(encoding="utf-8")
    expected_exit = {"right password": 0, "refused": 1, "hang-up": 1, "stall": 1}.get(mode, 2)
    assert result.exit_code == expected_exit, output
    if mode == "right password":
        assert recorder.recipients() == ["a@example.com"] and recorder.logins == [("pan", True)]
    if mode == "wrong password":
        assert "SMTP login refused for pan: 535" in result.stderr
        assert recorder.logins and set(recorder.logins) == {("pan", False)}  # PLAIN, then LOGIN
        assert recorder.messages == []
    if mode == "echoing server":
        assert (
            "SMTP login refused for pan: 535 5.7.8" in result.stderr
            and "bad credentials" not in result.stderr
        )
    if mode == "no AUTH offered":
        assert "does not offer AUTH" in result.stderr


class EchoingRecorder(SmtpRecorder):
    """aiosmtpd that refuses every login with a 535 repeating what it was sent, encoded as
    servers have been seen to: base64 of the password, of the PLAIN and LOGIN data, of
    user:password."""

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        user, password = auth_data.login, auth_data.password
        b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
        plain = b"\0" + user + b"\0" + password
        echo = (
            f"535 5.7.8 {mechanism} refused for {user.decode()} (b64 {b64(password)}) "
            f"raw PLAIN {b64(plain)} basic {b64(user + b':' + password)} "
            f"login {b64(user)} {b64(password)}"
        )
        return AuthResult(success=False, handled=False, message=echo)


def encodings_of(password: str, user: str = "pan") -> list[str]:
    """The password as it may be echoed: plain, and in base64 alone or inside the login data."""
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    return [password, b64(password), b64(f"\0{user}\0{password}"), b64(f"{user}:{password}")]


def test_a_server_echoing_the_login_in_base64_never_gets_it_printed(blog: Path, run, monkeypatch):
    monkeypatch.setenv("FEEDTOOL_SMTP_USER", "pan")
    monkeypatch.setenv("FEEDTOOL_SMTP_PASSWORD", PASSWORD)
    recorder = EchoingRecorder()
    with running_smtp_server(recorder, auth=True) as port:
        result = run(*send_args(port, "--to", "a@example.com"))
    output = result.stdout + result.stderr
    assert result.exit_code == 2 and "Traceback" not in output
    assert "SMTP login refused for pan: 535 5.7.8" in result.stderr
    for secret in encodings_of(PASSWORD):
        assert secret not in output
    # Nor any stretch of the password's base64 long enough to give it away, at any alignment.
    for prefix in ("", "x", "xx"):
        encoded = base64.b64encode((prefix + PASSWORD).encode()).decode()
        assert encoded[len(prefix) * 2 : -4] not in output
    assert recorder.messages == []


def test_the_password_in_base64_in_a_later_reply_is_redacted(ledger):
    echoes = " ".join(encodings_of(PASSWORD))
    with FaultyServer(Fault("rcpt", f"550 5.1.1 no: {echoes}"), auth="235 2.7.0 OK") as smtp:
        outcome = deliver(
            DIGEST,
            ["a@example.com"],
            build_message,
            server(smtp.port, user="pan", password=PASSWORD),
            ledger,
            backoff=0,
        )
    assert outcome.failed["a@example.com"].startswith("550 5.1.1 no: *****")
    assert not any(secret in outcome.failed["a@example.com"] for secret in encodings_of(PASSWORD))


# A kill part-way through a list ----------------------------------------------------------------


def _feedtool(blog: Path, port: int, recipients_file: Path) -> subprocess.Popen:
    return spawn_feedtool(
        blog,
        *send_args(port, "--to-file", str(recipients_file)),
        unset=("FEEDTOOL_SMTP_USER", "FEEDTOOL_SMTP_PASSWORD"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_at_the_eighth_message(
    blog: Path, commit: bool
) -> tuple[FaultyServer, list[str], list[dict]]:
    """Send to 20; SIGKILL the sender while the server holds its reply to the 8th message; then
    the server queues that message or not (`commit`); then run the same command again."""
    to = addresses(20)
    listing = blog / "subscribers.txt"
    listing.write_text("\n".join(to) + "\n", encoding="utf-8")
    with FaultyServer(Fault("dot", "hold", skip=7)) as smtp:
        sender = _feedtool(blog, smtp.port, listing)
        try:
            assert smtp.held.wait(20), sender.communicate(timeout=5)
            ledger_at_kill = ledger_lines(blog / ".feedtool" / "sent.jsonl")
            sender.send_signal(signal.SIGKILL)
            sender.wait(10)
        finally:
            if sender.poll() is None:
                sender.kill()
        smtp.release(commit)
        # Each flushed before the next went out; the 8th reserved, not yet settled.
        assert [(r["recipient"], r["status"]) for r in ledger_at_kill] == [
            *((r, "sent") for r in to[:7]),
            ("r08@example.com", "sending"),
        ]
        again = _feedtool(blog, smtp.port, listing)
        out, err = again.communicate(timeout=30)
        assert again.returncode == 0, err.decode()
        assert f"Sent {DIGEST} to 13 recipients; 7 already had it." in out.decode()
    return (
        smtp,
        to,
        [r for r in ledger_lines(blog / ".feedtool" / "sent.jsonl") if r["status"] == "sent"],
    )


def test_a_kill_before_the_server_accepts_loses_nothing_and_duplicates_nothing(blog: Path):
    smtp, to, ledger = _kill_at_the_eighth_message(blog, commit=False)
    assert {r: len(ids) for r, ids in ids_by_recipient(smtp.messages).items()} == dict.fromkeys(
        to, 1
    )
    assert sorted(r["recipient"] for r in ledger) == to


def test_a_kill_after_the_servers_ok_resends_once_with_the_same_message_id(
    blog: Path,
):
    # The one window no ledger can close: the server queued the 8th message, the sender died
    # before it could write that down. The next run sends it again, with the same Message-ID.
    smtp, to, ledger = _kill_at_the_eighth_message(blog, commit=True)
    ids = ids_by_recipient(smtp.messages)
    assert set(ids) == set(to)
    assert {r: len(copies) for r, copies in ids.items() if len(copies) > 1} == {
        "r08@example.com": 2
    }
    assert all(len(set(copies)) == 1 for copies in ids.values())  # mail clients drop the duplicate
    assert sorted(r["recipient"] for r in ledger) == to


def test_kills_at_arbitrary_moments_never_give_anyone_two_different_messages(blog: Path):
    # A slow-ish server (20 ms before each 250); the sender is killed 0, 5 and 13 ms after the
    # server accepted its 4th, 8th, 12th message: in the window before the ledger line, or not.
    to = addresses(20)
    listing = blog / "subscribers.txt"
    listing.write_text("\n".join(to) + "\n", encoding="utf-8")
    with FaultyServer(Fault("dot", ("pause", 0.02), times=999)) as smtp:
        for delay in (0, 0.005, 0.013):
            target = len(smtp.messages) + 4
            sender = _feedtool(blog, smtp.port, listing)
            deadline = time.monotonic() + 20
            while (
                len(smtp.messages) < target
                and sender.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.0005)
            time.sleep(delay)
            sender.send_signal(signal.SIGKILL)
            sender.wait(10)
        assert len(set(smtp.recipients())) < len(to)  # the kills did land part-way
        final = _feedtool(blog, smtp.port, listing)
        _, err = final.communicate(timeout=30)
        assert final.returncode == 0, err.decode()
    ids = ids_by_recipient(smtp.messages)
    assert set(ids) == set(to)  # everyone has it
    assert all(
        len(set(copies)) == 1 for copies in ids.values()
    )  # and no one has two different ones
    assert sum(len(copies) - 1 for copies in ids.values()) <= 3  # at most one extra copy per kill
    # A kill mid-write could leave a torn line; the ledger reads past it either way.
    assert Ledger(blog / ".feedtool" / "sent.jsonl").sent(DIGEST) == set(to)


def test_a_server_looping_on_auth_with_the_login_in_hex_never_gets_it_printed(ledger):
    """A server that answers every AUTH line with 334 and the login it was sent, in hex: smtplib
    gives up ("infinite loop") quoting the last reply, which must not be shown."""
    import socket
    import threading

    login = f"\0pan\0{PASSWORD}".encode()
    login += b"\0" * (len(login) % 2)  # hex that also reads as base64: smtplib goes round again
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 loop.test ESMTP\r\n")
            for line in lines:
                if line.upper().startswith(b"EHLO"):
                    connection.sendall(b"250-loop.test\r\n250 AUTH PLAIN\r\n")
                elif line.upper().startswith(b"QUIT"):
                    connection.sendall(b"221 bye\r\n")
                    return
                else:
                    connection.sendall(b"334 " + login.hex().encode() + b"\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(SendError) as refused:
            deliver(
                DIGEST,
                ["a@example.com"],
                build_message,
                server(listener.getsockname()[1], user="pan", password=PASSWORD),
                ledger,
                backoff=0,
            )
    finally:
        listener.close()
    said = str(refused.value)
    assert "infinite loop" in said and login.hex() not in said and PASSWORD not in said
