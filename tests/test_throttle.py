"""Sending limits against a real SMTP server on 127.0.0.1: [smtp] rate, [smtp] per_day, and the
slow-down a 421 or 451 asks for. A clock that only sleeping moves on (FakeTime) makes every pause
exact: no timed asserts."""

from __future__ import annotations

import calendar
import functools
import re
from pathlib import Path

import pytest
from conftest import SmtpRecorder, running_smtp_server, send_args
from test_send_faults import (
    DIGEST,
    FakeTime,
    build_message,
    ids_by_recipient,
    ledger_lines,
    server,
    to_args,
)

from feedtool import cli, send, throttle
from feedtool.send import Ledger, deliver
from feedtool.throttle import Pace

TO = ["a@example.com", "b@example.com", "c@example.com"]
MONDAY = calendar.timegm((2025, 8, 25, 10, 0, 0))  # 10:00 UTC


class RateLimited(SmtpRecorder):
    """Answers `reply` to the first `times` transactions (at RCPT, or after the message with
    `at_data`), whoever they are for, then takes everything."""

    def __init__(self, reply: str, times: int, at_data: bool = False):
        super().__init__()
        self.reply, self.times, self.at_data = reply, times, at_data
        self.refused = 0

    def _limited(self) -> bool:
        if self.refused < self.times:
            self.refused += 1
            return True
        return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.at_data and self._limited():
            return self.reply
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.at_data and self._limited():
            self.tried.append((list(envelope.rcpt_tos), envelope.original_content))
            return self.reply
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / ".feedtool" / "sent.jsonl")


# A 421 or 451 slows the whole run --------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, at_data",
    [("421 4.7.0 too many messages, slow down", False), ("451 4.7.1 rate limited", True)],
)
def test_rate_limit_replies_slow_the_run_and_every_address_gets_one_copy(
    reply: str, at_data: bool, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
):
    recorder = RateLimited(reply, times=2, at_data=at_data)
    fake = FakeTime()
    monkeypatch.setattr(send, "_sleep", fake.sleep)  # any other pause would show too
    pace = Pace(clock=fake.clock, sleep=fake.sleep)
    with running_smtp_server(recorder) as port:
        # retries=0: a per-address retry would give up on a@ at the first refusal.
        outcome = deliver(DIGEST, TO, build_message, server(port), ledger, retries=0, pace=pace)
    assert outcome.ok and outcome.sent == TO and not outcome.deferred and not outcome.failed
    assert {r: len(ids) for r, ids in ids_by_recipient(recorder.messages).items()} == dict.fromkeys(
        TO, 1
    )
    assert recorder.refused == 2
    # Paused 1 s, then 2 s, before trying a@ again; b@ and c@ then go at the slower pace.
    assert fake.slept == [1.0, 2.0, 2.0, 2.0]
    assert [r["recipient"] for r in ledger_lines(ledger.path)] == TO


def test_a_server_that_keeps_asking_gets_capped_pauses_then_the_rest_wait(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
):
    recorder = RateLimited("421 4.7.0 slow down", times=1000)
    fake = FakeTime()
    monkeypatch.setattr(send, "_sleep", fake.sleep)
    pace = Pace(cap=8, clock=fake.clock, sleep=fake.sleep)
    with running_smtp_server(recorder) as port:
        outcome = deliver(DIGEST, TO, build_message, server(port), ledger, pace=pace)
    assert fake.slept == [1.0, 2.0, 4.0] + [8.0] * (throttle.MAX_SLOW_DOWNS - 3)
    assert recorder.refused == throttle.MAX_SLOW_DOWNS + 1 and recorder.messages == []
    assert not outcome.failed and outcome.sent == [] and list(outcome.deferred) == TO
    assert "421 4.7.0 slow down (still, after 10 pauses)" in outcome.deferred["a@example.com"]
    assert ledger_lines(ledger.path) == []  # all of them go out in the next run


def test_a_slow_down_is_not_a_retry_of_the_address(ledger: Ledger, monkeypatch):
    # After a 421 the address is tried again even with no retries left; a 450 is not retried.
    recorder = RateLimited("421 4.7.0 slow down", times=1)
    recorder.rcpt_replies["b@example.com"] = ["450 4.2.1 mailbox busy"]
    fake = FakeTime()
    monkeypatch.setattr(send, "_sleep", fake.sleep)
    pace = Pace(clock=fake.clock, sleep=fake.sleep)
    with running_smtp_server(recorder) as port:
        outcome = deliver(DIGEST, TO, build_message, server(port), ledger, retries=0, pace=pace)
    assert outcome.sent == ["a@example.com", "c@example.com"]
    assert outcome.deferred == {"b@example.com": "450 4.2.1 mailbox busy"}


# [smtp] rate -------------------------------------------------------------------------------------


def test_rate_spaces_the_messages(ledger: Ledger, monkeypatch: pytest.MonkeyPatch):
    fake = FakeTime()
    monkeypatch.setattr(send, "_sleep", fake.sleep)
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        pace = Pace(4, clock=fake.clock, sleep=fake.sleep)
        outcome = deliver(DIGEST, TO, build_message, server(port), ledger, pace=pace)
    assert outcome.sent == TO
    assert fake.slept == [0.25, 0.25]  # start to start: none before the first


def smtp_settings(blog: Path, lines: str) -> None:
    path = blog / "feedtool.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[smtp]\n", f"[smtp]\n{lines}\n"), encoding="utf-8")


def test_rate_from_the_config_and_progress_with_rate_and_time_left(
    blog: Path, run, monkeypatch: pytest.MonkeyPatch
):
    smtp_settings(blog, "rate = 0.5")
    fake = FakeTime()
    monkeypatch.setattr(send, "_sleep", fake.sleep)
    monkeypatch.setattr(send, "Pace", functools.partial(Pace, clock=fake.clock))
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        result = run(*send_args(port, *to_args(TO)))
    assert result.exit_code == 0, result.output
    assert fake.slept == [2.0, 2.0] and sorted(recorder.recipients()) == TO
    # Not a terminal: a plain line per step, with the rate and the time left.
    lines = [line for line in result.stderr.splitlines() if line.startswith("sending")]
    assert len(lines) == 3
    assert re.fullmatch(r"sending 2025-W34: 1/3, [0-9.]+/s, [0-9.]+ (s|min|h) left", lines[0])


def test_the_progress_bar_shows_the_rate_and_the_time_left(capsys: pytest.CaptureFixture):
    bar = cli._Progress("Sending 2025-W34", False, speed=True)
    bar.enabled, now = True, [100.0]
    bar.clock, bar.started = (lambda: now[0]), 0.0
    bar(50, 1000)  # 0.5 a second, 950 to go
    assert capsys.readouterr().err.endswith("50/1000, 30.0/min, 32 min left")
    now[0] = 1000.0
    bar(990, 1000)
    assert capsys.readouterr().err.endswith("990/1000, 59.4/min, 10 s left")
    bar(1000, 1000)
    assert capsys.readouterr().err.endswith("1000/1000, 1.0/s, 0 s left")
    now[0] = 2000.0
    bar(20, 10000)
    assert capsys.readouterr().err.endswith("20/10000, 0.6/min, 277.2 h left")


# [smtp] per_day ----------------------------------------------------------------------------------


def test_per_day_stops_cleanly_and_the_next_days_run_goes_on(
    blog: Path, run, monkeypatch: pytest.MonkeyPatch
):
    smtp_settings(blog, "per_day = 2")
    monkeypatch.setattr(send, "_clock", lambda: MONDAY)
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        first = run(*send_args(port, *to_args(TO)))
        assert first.exit_code == 3, first.output
        assert "Sent 2025-W34 to 2 recipients." in first.stdout
        cap = (
            "Stopped at the day's cap ([smtp] per_day = 2, UTC): 1 left; the next run after "
            "00:00 UTC goes on from the ledger."
        )
        assert cap in first.stderr
        assert sorted(recorder.recipients()) == TO[:2]
        # Later the same day: nothing sent, and it says so.
        monkeypatch.setattr(send, "_clock", lambda: MONDAY + 13 * 3600 + 59 * 60)  # 23:59
        again = run(*send_args(port, *to_args(TO)))
        assert again.exit_code == 3
        assert "Sent 2025-W34 to 0 recipients; 2 already had it." in again.stdout
        assert cap in again.stderr and len(recorder.messages) == 2
        # The next day (UTC) goes on from the ledger.
        monkeypatch.setattr(send, "_clock", lambda: MONDAY + 14 * 3600)
        last = run(*send_args(port, *to_args(TO)))
    assert last.exit_code == 0, last.output
    assert "Sent 2025-W34 to 1 recipient; 2 already had it." in last.stdout
    assert "cap" not in last.stderr
    assert sorted(recorder.recipients()) == TO  # each once
    days = [r["at"][:10] for r in ledger_lines(blog / ".feedtool" / "sent.jsonl")]
    assert days == ["2025-08-25", "2025-08-25", "2025-08-26"]


def test_per_day_counts_every_digest_sent_that_day(ledger: Ledger, monkeypatch):
    monkeypatch.setattr(send, "_clock", lambda: MONDAY)
    ledger.record("2025-W33", "old@example.com", "<x@pan.example.com>")
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as port:
        outcome = deliver(DIGEST, TO, build_message, server(port), ledger, per_day=2)
    assert outcome.sent == ["a@example.com"] and outcome.left == TO[1:] and outcome.ok
    assert ledger.sent_on("2025-08-25") == 2 and ledger.sent_on("2025-08-24") == 0


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("rate = 0", "smtp.rate: expected messages a second"),
        ('rate = "fast"', "smtp.rate: expected messages a second"),
        ("per_day = 0", "smtp.per_day: expected a whole number of at least 1"),
        ("per_day = 1.5", "smtp.per_day: expected a whole number of at least 1"),
    ],
)
def test_limits_that_cannot_work_are_config_errors(blog: Path, run, setting: str, expected: str):
    smtp_settings(blog, setting)
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 2 and expected in result.output
    assert "feedtool.toml:" in result.output
