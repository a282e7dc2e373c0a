"""SMTP delivery with a ledger, so that a digest reaches each address once.

The ledger is an append-only file of JSON lines, one per (digest, recipient), written before
the message goes out and marked sent once the server accepted it, flushed to disk before the
next message goes out. A run that is interrupted (a
dropped connection, a 4xx reply, a kill) is simply run again: it skips everyone the ledger
names. Retries of one message carry the same Message-ID, so that in the rare case of a crash
between the server's "250 OK" and the ledger line, mail clients can drop the duplicate.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from .config import address_of, ascii_host, is_loopback
from .errors import FeedtoolError, OutputError
from .files import read_regular_file
from .output import append_line, lock, overwrite
from .throttle import RATE_LIMITED, Pace

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_sleep = time.sleep  # the pause between retries (tests replace it)
_clock = time.time  # the ledger's times and the day [smtp] per_day counts in (tests replace it)


class SendError(FeedtoolError):
    """Sending cannot start or go on (bad settings, authentication, a refused sender)."""


@dataclass(frozen=True)
class Server:
    """Where and how to connect. `password` never appears in repr or messages."""

    host: str
    port: int
    security: str  # starttls | ssl | none
    user: str = ""
    password: str = field(default="", repr=False)
    # Seconds, as RFC 5321 4.5.3.2 asks at least: to connect, for each send and for each whole
    # reply (however slowly it trickles in); for the reply to the message's final dot; for the run.
    timeout: float = 300.0
    data_timeout: float = 600.0
    run_timeout: float = 3600.0
    helo: str = ""  # the name given in EHLO ("": smtplib's, this machine's)
    return_path: str = ""  # MAIL FROM, where bounces go ("": each message's From address)
    sign: Callable[[bytes], bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def port_in_use(self) -> int:
        """The port given, else the usual one for the security mode."""
        return self.port or DEFAULT_PORTS.get(self.security, 25)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port_in_use}"

    def check(self) -> None:
        if self.security == "none" and not is_loopback(self.host):
            raise SendError(
                "--smtp-security none sends in clear text; it is only allowed for a relay on this "
                "machine "
                f"(localhost), not {self.host}"
            )
        if bool(self.user) != bool(self.password):
            raise SendError("set both FEEDTOOL_SMTP_USER and FEEDTOOL_SMTP_PASSWORD, or neither")
        if not (self.user + self.password).isascii():
            # smtplib sends the login as ASCII whatever the mechanism; say so rather than fail
            # mid-run
            raise SendError("FEEDTOOL_SMTP_USER and FEEDTOOL_SMTP_PASSWORD must be ASCII")

    def redact(self, text: str) -> str:
        """`text` without the password, as it is or in base64 (a server may echo what it was sent,
        and AUTH PLAIN and LOGIN send it in base64, alone or inside other data)."""
        for secret in sorted(_encodings(self.password), key=len, reverse=True):
            text = text.replace(secret, "*****")
        return text


def _encodings(secret: str) -> set[str]:
    """`secret` as text and the stretch of its base64 that it alone decides, at each of the three
    alignments it may have inside longer data (such as PLAIN's "\\0user\\0password")."""
    found = {secret, _one_line(secret)}
    data = secret.encode()
    for skip in range(3):  # bytes before it in the encoded data
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * skip + data).decode()
            # Characters that also hold bits of the bytes before or after are left out.
            found.add(encoded[(8 * skip + 5) // 6 : 8 * (skip + len(data)) // 6])
    return {text for text in found if len(text) >= 4}


@dataclass(frozen=True)
class Reservation:
    """A ledger line written before its message is sent: where it is, and where its status is."""

    start: int
    length: int
    status_at: int


# Statuses are written over the reserved one, so each fits its room: JSON allows the spaces after
# "}".
_STATUS_ROOM = len('"uncertain"}')
_DONE = ("sent", "uncertain", None)  # no status: a line from before there were statuses


class Ledger:
    """Who has received which digest: JSON lines {"digest", "recipient", "message_id", "at",
    "status"}. A line is written with status "sending" before its message goes out, then that
    status is written over in place ("sent"), or the line blanked if nothing went out. So a full
    disk stops the run before a message, never after one that then goes unrecorded."""

    def __init__(self, path: Path):
        self.path = path

    def sent(self, digest: str) -> set[str]:
        """Lower-cased addresses that have `digest`. A torn last line (a kill mid-write) is
        ignored."""
        return {
            str(record.get("recipient", "")).lower()
            for record in self._done()
            if record.get("digest") == digest
        }

    def sent_on(self, day: str) -> int:
        """How many messages went out on `day` (YYYY-MM-DD, UTC), of any digest."""
        return sum(1 for record in self._done() if str(record.get("at", "")).startswith(day))

    def _done(self) -> Iterator[dict]:
        """The records of messages sent (or that may have been)."""
        try:
            lines = read_regular_file(self.path, follow_symlinks=True).split(b"\n")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise SendError(
                f"{self.path}: cannot read the send ledger: {exc.strerror or exc}"
            ) from None
        for line in lines:
            try:
                record = json.loads(line.decode("utf-8"))
            except ValueError:  # a torn line, even one cut inside a character
                continue
            if isinstance(record, dict) and record.get("status") in _DONE:
                yield record

    def split(self, digest: str, recipients: Sequence[str]) -> tuple[list[str], list[str]]:
        """(the recipients still to get `digest`, those that have it), addresses compared without
        case."""
        already = self.sent(digest)
        pending: list[str] = []
        done: list[str] = []
        for recipient in recipients:
            (done if recipient.lower() in already else pending).append(recipient)
        return pending, done

    def reserve(self, digest: str, recipient: str, message_id: str) -> Reservation:
        """Write the line for a message about to be sent (status "sending", which readers count
        as not sent: a run killed meanwhile sends it again). OutputError if it cannot be written."""
        record = json.dumps(
            {
                "digest": digest,
                "recipient": recipient,
                "message_id": message_id,
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_clock())),
            },
            ensure_ascii=False,
        )
        head = (record[:-1] + ', "status": ').encode("utf-8")
        line = head + _status("sending")
        start = append_line(self.path, line.decode("utf-8"))
        return Reservation(start, len(line), start + len(head))

    def settle(self, reservation: Reservation, status: str | None) -> None:
        """Write `status` ("sent", "uncertain") over the reserved one, or blank the line (None:
        nothing went out). OutputError if it cannot be written."""
        if status is None:
            overwrite(self.path, reservation.start, b" " * reservation.length)
        else:
            overwrite(self.path, reservation.status_at, _status(status))

    def record(self, digest: str, recipient: str, message_id: str) -> None:
        """A line saying `recipient` has `digest`."""
        self.settle(self.reserve(digest, recipient, message_id), "sent")


def _status(status: str) -> bytes:
    return (json.dumps(status) + "}").ljust(_STATUS_ROOM).encode("ascii")


@dataclass
class Outcome:
    """What a send did, per recipient."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # the ledger says they have it
    failed: dict[str, str] = field(default_factory=dict)  # permanent (5xx) refusals
    deferred: dict[str, str] = field(default_factory=dict)  # still temporary failures after retries
    uncertain: dict[str, str] = field(default_factory=dict)  # sent, never confirmed: not sent again
    left: list[str] = field(default_factory=list)  # not tried: the day's cap ([smtp] per_day)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.deferred and not self.uncertain


def deliver(
    digest: str,
    recipients: Sequence[str],
    build: Callable[[str], EmailMessage],
    server: Server,
    ledger: Ledger,
    *,
    retries: int = 3,
    backoff: float = 1.0,
    rate: float = 0.0,
    per_day: int = 0,
    pace: Pace | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Send `build(recipient)` to each recipient not in the ledger; retry temporary failures.

    Messages start at most `rate` a second (0: as fast as the server takes them). A 421 or
    451 reply slows the pace for the rest of the run (`Pace`: a pause of `backoff`, twice that
    and so on, up to 5 minutes, between messages) and the address is tried again after the
    pause. A try that fails otherwise for a reason of the server's rather than the address's (it
    cannot be reached, hangs up, stalls past `server.timeout`) is retried after `backoff`,
    twice that, and so on; if the last try fails that way too, the remaining recipients are
    not tried (deferred to the next run) instead of each waiting out its own retries. So are
    they once `server.run_timeout` has passed. A message whose final dot went out without a
    reply is never sent again: it is recorded as uncertain, and the rest are deferred. Once
    the ledger holds `per_day` messages of this UTC day (0: no cap), the rest are `left`.
    A given `pace` brings its own rate and backoff. Raises SendError for what no retry can fix
    (TLS or login settings, a refused sender).
    """
    server.check()
    outcome = Outcome()
    pace = pace or Pace(rate, backoff, sleep=_sleep)
    limits = _Limits(server.timeout, server.data_timeout, time.monotonic() + server.run_timeout)
    # One sender per ledger: two runs at once would each read it before the other wrote to it,
    # and both send to everyone. The second stops here instead.
    held = lock(ledger.path.with_name(ledger.path.name + ".lock"))
    connection: _Client | None = None
    try:
        pending, skipped = ledger.split(digest, recipients)
        outcome.skipped.extend(skipped)
        day, sent_today = "", 0
        for number, recipient in enumerate(pending, start=1):
            if limits.over():
                _defer(outcome, _out_of_time(server), recipient, pending[number:], server)
                return outcome
            if per_day:
                if day != (today := _today()):  # (again when a run goes on past midnight)
                    day, sent_today = today, ledger.sent_on(today)
                if sent_today >= per_day:
                    outcome.left.extend(pending[number - 1 :])
                    return outcome
            message = build(recipient)
            try:
                reservation = ledger.reserve(digest, recipient, str(message["Message-ID"]))
            except (
                OutputError
            ) as exc:  # a full disk: stop before a message that would go unrecorded
                reason = f"not sent: the send ledger cannot be written ({exc})"
                _defer(outcome, reason, recipient, pending[number:], server)
                return outcome
            try:
                connection, failure = _serve(
                    connection, server, limits, message, recipient, retries, pace
                )
            except SendError:  # raised before any message went out
                _forget(ledger, reservation)
                raise
            try:
                ledger.settle(
                    reservation,
                    None
                    if failure and not failure.uncertain
                    else "uncertain"
                    if failure
                    else "sent",
                )
            except OutputError as exc:
                if failure is None:
                    raise SendError(
                        f"{recipient} was sent {digest}, but the ledger could not record it "
                        f"({exc}); the next run would send it again"
                    ) from None
            if failure is None or failure.uncertain:
                sent_today += 1
            if failure is None:
                outcome.sent.append(recipient)
            elif failure.permanent:
                outcome.failed[recipient] = server.redact(failure.reason)
            elif failure.uncertain:  # the server is in trouble, and this one may have got it
                outcome.uncertain[recipient] = server.redact(failure.reason)
                reason = f"the server did not confirm the message to {recipient}"
                _defer(outcome, reason, None, pending[number:], server)
                return outcome
            elif failure.server_wide:  # the rest would only meet the same fate: next run
                reason = _out_of_time(server) if limits.over() else failure.reason
                _defer(outcome, reason, recipient, pending[number:], server)
                return outcome
            else:
                outcome.deferred[recipient] = server.redact(failure.reason)
            if progress:
                progress(number, len(pending))
    except SendError as exc:
        raise SendError(server.redact(str(exc))) from None
    finally:
        _close(connection)
        if held is not None:
            held.close()
    return outcome


def send_one(server: Server, message: EmailMessage, *, retries: int = 1) -> str | None:
    """Send one message to its To address, outside any ledger (a confirmation mail, a test copy):
    None if the server took it, else why not (never with the password in it)."""
    server.check()
    recipient = parseaddr(str(message["To"]))[1]
    limits = _Limits(server.timeout, server.data_timeout, time.monotonic() + server.run_timeout)
    connection: _Client | None = None
    try:
        connection, failure = _serve(
            None, server, limits, message, recipient, retries, Pace(most=retries, sleep=_sleep)
        )
    except SendError as exc:
        return server.redact(str(exc))
    finally:
        _close(connection)
    return None if failure is None else server.redact(failure.reason)


def _serve(
    connection: _Client | None,
    server: Server,
    limits: _Limits,
    message: EmailMessage,
    recipient: str,
    retries: int,
    pace: Pace,
) -> tuple[_Client | None, _Failure | None]:
    """Send one message, retrying temporary failures while there is time, after the pace's
    backoff, twice that, ...: (the connection, None or the last failure). A 421 or 451 slows
    the `pace` and is not one of the `retries`."""
    sender = server.return_path or parseaddr(str(message["From"]))[1]
    attempt = 0
    while True:
        pace.wait()
        connection, failure = _attempt(connection, server, limits, message, sender, recipient)
        if failure is None:
            pace.went_through()
            return connection, None
        if failure.permanent or failure.uncertain or limits.over():
            return connection, failure
        if failure.code in RATE_LIMITED:
            if pace.slow_down() and pace.interval < limits.run_deadline - time.monotonic():
                continue
            # Still asked to slow down at the slowest pace (or past the run's end): next run.
            pauses = pace.slow_downs - 1
            reason = f"{failure.reason} (still, after {pauses} pause{'s' * (pauses != 1)})"
            return connection, _Failure(reason, server_wide=True, code=failure.code)
        if attempt == retries:
            return connection, failure
        attempt += 1
        pause = pace.backoff * 2 ** (attempt - 1)
        _sleep(min(pause, max(0.0, limits.run_deadline - time.monotonic())))


def _today() -> str:
    """The UTC day, as the ledger's times begin."""
    return time.strftime("%Y-%m-%d", time.gmtime(_clock()))


def _out_of_time(server: Server) -> str:
    return f"the run took its time limit ([smtp] run_timeout = {server.run_timeout:g} s)"


def _forget(ledger: Ledger, reservation: Reservation) -> None:
    """Blank a reserved line whose message did not go out (if that fails, "sending" says as
    much)."""
    try:
        ledger.settle(reservation, None)
    except OutputError:
        pass


def _defer(
    outcome: Outcome, reason: str, first: str | None, rest: Sequence[str], server: Server
) -> None:
    """`first` (if any) was not sent for `reason`, and so the `rest` are not tried in this run."""
    if first:
        outcome.deferred[first] = server.redact(reason)
    for recipient in rest:
        outcome.deferred[recipient] = server.redact(f"not tried: {reason}")


@dataclass(frozen=True)
class _Failure:
    reason: str
    permanent: bool = False  # this address is refused: do not retry it in this run
    server_wide: bool = False  # the server's trouble, not the address's
    uncertain: bool = False  # the whole message went out and no reply said what became of it
    code: int = 0  # the server's reply code, if it gave one


@dataclass(frozen=True)
class _Limits:
    """Seconds for each command's reply and for the reply to the final dot; when the run ends."""

    command: float
    data: float
    run_deadline: float  # time.monotonic()

    def over(self) -> bool:
        return time.monotonic() >= self.run_deadline

    def until(self, seconds: float, *, past_run: bool = False) -> float:
        """The deadline `seconds` from now, and (unless `past_run`) no later than the run's."""
        deadline = time.monotonic() + seconds
        return deadline if past_run else min(deadline, self.run_deadline)


class _DeadlineReader(socket.SocketIO):
    """Reads that stop at a deadline, not only after a silence: a per-read timeout is never
    reached by a server that sends a byte every few seconds."""

    deadline = math.inf
    _sock: socket.socket  # (SocketIO's, not in its stubs)

    def readinto(self, buffer) -> int | None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self._sock.settimeout(left)
        return super().readinto(buffer)


class _Deadlines:
    """For smtplib's clients: a deadline for each send and each whole reply (the command's, or
    the data's for the reply to the final dot, RFC 5321 4.5.3.2), none past the run's (but the
    dot's: a message handed over is given its time to be confirmed); and whether the final dot
    went out, and what answered it."""

    sock: socket.socket | None  # smtplib.SMTP's
    file: io.BufferedReader | None

    def __init__(self, limits: _Limits, host: str, port: int, **options) -> None:
        self.limits = limits
        self.dot_sent = False
        self.dot_reply: int | None = None
        self._reader: _DeadlineReader | None = None
        timeout = max(0.001, limits.until(limits.command) - time.monotonic())
        super().__init__(host, port, timeout=timeout, **options)  # type: ignore[call-arg]

    def send(self, s: ReadableBuffer | str) -> None:
        if self.sock is not None:
            self.sock.settimeout(
                max(0.001, self.limits.until(self.limits.command) - time.monotonic())
            )
        super().send(s)  # type: ignore[misc]
        if isinstance(s, bytes) and s.endswith(
            b"\r\n.\r\n"
        ):  # the message, whole (no command ends so)
            self.dot_sent = True

    def getreply(self) -> tuple[int, bytes]:
        if self.file is None and self.sock is not None:  # (again after STARTTLS)
            self._reader = _DeadlineReader(self.sock, "rb")
            self.file = io.BufferedReader(self._reader)
        awaiting_dot = self.dot_sent and self.dot_reply is None
        if self._reader is not None:
            seconds = self.limits.data if awaiting_dot else self.limits.command
            self._reader.deadline = self.limits.until(seconds, past_run=awaiting_dot)
        code, text = super().getreply()  # type: ignore[misc]
        if awaiting_dot:
            self.dot_reply = code
        return code, text

    def new_message(self) -> None:
        self.dot_sent, self.dot_reply = False, None


class _Signing:
    """For smtplib's clients: each message signed (DKIM) in the very bytes that go out, as
    send_message flattened them."""

    sign: Callable[[bytes], bytes] | None = None

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        if self.sign is not None and isinstance(msg, bytes):
            msg = self.sign(msg)
        return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)  # type: ignore[misc]


class _Client(_Signing, _Deadlines, smtplib.SMTP):
    pass


class _SecureClient(_Client, smtplib.SMTP_SSL):
    pass


class _Unavailable(Exception):
    """The server cannot be reached or talked to right now (worth retrying later)."""

    def __init__(self, reason: str, code: int = 0) -> None:
        super().__init__(reason)
        self.code = code


def _attempt(
    connection: _Client | None,
    server: Server,
    limits: _Limits,
    message: EmailMessage,
    sender: str,
    recipient: str,
) -> tuple[_Client | None, _Failure | None]:
    """One try at one message: (the connection to go on with or None, None or why it failed)."""
    if connection is None:
        try:
            connection = _connect(server, limits)
        except _Unavailable as exc:
            return None, _Failure(str(exc), server_wide=True, code=exc.code)
    connection.new_message()
    try:
        connection.send_message(message, from_addr=sender, to_addrs=[recipient])
        return connection, None
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        if connection.dot_sent and not 400 <= (connection.dot_reply or 0) < 600:
            # The whole message went out and nothing readable came back: the server may deliver it,
            # even if it then reset the connection (a proxy timing out an idle connection does).
            _close(connection)
            return None, _unconfirmed(exc, server)
        failure = _failure(exc, server, sender, recipient)
    # smtplib closes the connection after a 421 or a lost connection; after anything else the
    # transaction is reset (RSET), and a connection whose state is in doubt is dropped.
    if failure.server_wide or connection.sock is None:
        _close(connection)
        return None, failure
    return _reset(connection), failure


def _failure(exc: Exception, server: Server, sender: str, recipient: str) -> _Failure:
    """Why a message was not sent (`exc`, from smtplib before the final dot or a reply to it)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = exc.recipients.get(recipient, (550, b"refused"))
        return _refusal(code, reply, server)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        if 500 <= exc.smtp_code < 600:
            shown = _reply(exc.smtp_code, exc.smtp_error)
            raise SendError(f"the server refuses the sender {sender}: {shown}") from None
        return _refusal(exc.smtp_code, exc.smtp_error, server, server_wide=True)
    if isinstance(
        exc, smtplib.SMTPNotSupportedError
    ):  # before MAIL FROM, only for a non-ASCII address
        return _Failure(
            f"{server.address} does not take non-ASCII addresses (no SMTPUTF8)", permanent=True
        )
    if isinstance(
        exc, smtplib.SMTPResponseException
    ):  # SMTPDataError, or a reply smtplib could not read
        return _refusal(exc.smtp_code, exc.smtp_error, server)
    if isinstance(exc, ValueError):  # e.g. an address that smtplib will not put on the wire
        return _Failure(f"cannot send to this address: {exc}", permanent=True)
    return _Failure(
        _trouble(exc, server, server.timeout), server_wide=True
    )  # hung up, timed out...


def _unconfirmed(exc: Exception, server: Server) -> _Failure:
    """The whole message went out, and no reply said whether the server took it."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _reply(exc.smtp_code, exc.smtp_error)
        trouble = f"{server.address} sent a reply that could not be understood: {reply}"
    else:
        trouble = _trouble(exc, server, server.data_timeout)
    return _Failure(
        f"{trouble} after the whole message was sent; it may have been delivered, so it is "
        "not sent again",
        uncertain=True,
    )


def _refusal(code: int, text: bytes | str, server: Server, server_wide: bool = False) -> _Failure:
    """A reply to MAIL, RCPT or DATA: 5xx permanent, 4xx temporary (421: the server is closing)."""
    if isinstance(text, str) or not 400 <= code < 600:  # str: smtplib's own, e.g. "Line too long."
        return _Failure(
            f"{server.address} sent a reply that could not be understood: {_reply(code, text)}",
            server_wide=True,
        )
    return _Failure(
        _reply(code, text),
        permanent=code >= 500,
        server_wide=server_wide or code == 421,
        code=code,
    )


def _trouble(exc: BaseException, server: Server, waited: float) -> str:
    """What went wrong with the connection, in a line (`waited`: the time it was given)."""
    cause = exc.__context__ if isinstance(exc, smtplib.SMTPServerDisconnected) else exc
    if isinstance(cause, TimeoutError):
        return f"{server.address} did not answer within {waited:g} s"
    if isinstance(cause, ConnectionRefusedError):
        return f"cannot connect to {server.address}: connection refused"
    if isinstance(cause, socket.gaierror):
        return f"cannot find {server.host}: {cause.strerror}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        detail = f" ({cause.strerror or cause})" if isinstance(cause, OSError) else ""
        return f"{server.address} closed the connection{detail}"
    if isinstance(exc, OSError):
        return f"cannot talk to {server.address}: {exc.strerror or exc}"
    return f"{server.address}: {exc}"


def _connect(server: Server, limits: _Limits) -> _Client:
    """A connection ready for MAIL FROM. Raises _Unavailable for what may pass (retry later),
    SendError for what settings must fix."""
    port = server.port_in_use
    where = server.address
    context = ssl.create_default_context()
    connection: _Client | None = None
    try:
        try:
            helo = server.helo or None
            if server.security == "ssl":
                connection = _SecureClient(
                    limits, server.host, port, local_hostname=helo, context=context
                )
            else:
                connection = _Client(limits, server.host, port, local_hostname=helo)
            connection.sign = server.sign
        except UnicodeError:  # from the IDNA codec
            raise SendError(f"{server.host!r} is not a valid host name") from None
        connection.ehlo_or_helo_if_needed()
        if server.security == "starttls":
            if not connection.has_extn("starttls"):
                raise SendError(
                    f"{where} does not offer STARTTLS; use --smtp-security ssl (usually port 465), "
                    "or none for a relay on this machine"
                )
            connection.starttls(context=context)
            connection.ehlo()
        if server.user:
            if not connection.has_extn("auth"):
                raise SendError(
                    f"{where} does not offer AUTH; unset FEEDTOOL_SMTP_USER and "
                    "FEEDTOOL_SMTP_PASSWORD if it needs no login"
                )
            try:
                connection.login(server.user, server.password)
            except smtplib.SMTPResponseException as exc:
                # The reply may repeat the login in any encoding: only its codes are kept.
                raise smtplib.SMTPAuthenticationError(
                    exc.smtp_code, _codes_only(exc.smtp_error)
                ) from None
            except smtplib.SMTPServerDisconnected:
                raise
            except (
                smtplib.SMTPException
            ) as exc:  # e.g. "...infinite loop. Last response: (334, b'...')"
                # Not the last response: it may repeat the login in any encoding.
                raise SendError(
                    f"cannot log in to {where}: {str(exc).partition(' Last response')[0]}"
                ) from None
        return connection
    except BaseException as exc:
        _close(connection)
        if isinstance(exc, Exception) and not isinstance(exc, SendError):
            _explain_connect_error(exc, server)
        raise


def _explain_connect_error(exc: Exception, server: Server) -> None:
    """Raise the _Unavailable or SendError that `exc` (met while connecting) amounts to."""
    where = server.address
    if isinstance(exc, smtplib.SMTPAuthenticationError) and 500 <= exc.smtp_code < 600:
        raise SendError(
            f"SMTP login refused for {server.user}: {_reply(exc.smtp_code, exc.smtp_error)}"
        ) from None
    if isinstance(
        exc, smtplib.SMTPResponseException
    ):  # the greeting, EHLO, STARTTLS or AUTH refused
        text = _reply(exc.smtp_code, exc.smtp_error)
        if isinstance(exc.smtp_error, str) or not 400 <= exc.smtp_code < 600:
            raise SendError(f"{where} sent a reply that could not be understood: {text}") from None
        if exc.smtp_code >= 500:
            raise SendError(f"{where} refuses the connection: {text}") from None
        raise _Unavailable(f"{where} is not available: {text}", exc.smtp_code) from None
    if isinstance(exc, ssl.SSLError) and not isinstance(
        exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)
    ):
        raise SendError(
            f"TLS with {where} failed: {exc.reason or exc} "
            f"(is --smtp-security {server.security} right for this server and port?)"
        ) from None
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        raise _Unavailable(_trouble(exc, server, server.timeout)) from None
    if isinstance(exc, smtplib.SMTPException):  # e.g. "No suitable authentication method found."
        raise SendError(f"cannot log in to {where}: {exc}") from None
    if isinstance(exc, ValueError):  # e.g. an AUTH challenge that is not base64
        raise SendError(f"{where} sent a reply that could not be understood ({exc})") from None


def _reset(connection: _Client | None) -> _Client | None:
    """After a refused message, RSET so the connection can carry the next one (or drop it)."""
    if connection is None:
        return None
    try:
        code, _ = connection.rset()
    except (smtplib.SMTPException, OSError, ValueError):
        code = 0
    if code == 250:
        return connection
    _close(connection)
    return None


def _close(connection: _Client | None) -> None:
    """Quit politely if possible."""
    if connection is not None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError, ValueError):
            try:
                connection.close()
            except OSError:
                pass


def _reply(code: int, text: bytes | str) -> str:
    """A server's reply as one printable line (it may span lines and hold control characters)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _one_line(f"{code} {text}").strip()


def _codes_only(text: bytes | str) -> bytes:
    """A reply's enhanced status code (RFC 3463) without its words, which are not shown."""
    reply = text if isinstance(text, bytes) else b""
    found = re.match(rb"\s*([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9.])", reply)
    return (
        found.group(1) + b" " if found else b""
    ) + b"(the server's words are not shown after AUTH)"


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def read_recipients(addresses: Iterable[str], files: Iterable[Path]) -> list[str]:
    """--to addresses and --to-file lines (blank lines and # comments skipped), each once, with
    an IDN domain in punycode, so that only a non-ASCII local part needs SMTPUTF8."""
    found: dict[str, str] = {}
    entries = [(a, "--to") for a in addresses]
    for path in files:
        try:
            text = read_regular_file(path, follow_symlinks=True).decode("utf-8-sig")
        except OSError as exc:
            raise SendError(f"{path}: cannot read recipients: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise SendError(f"{path}: cannot read recipients: {exc}") from None
        # Lines end at line feeds (read_text made CR and CRLF ones), not at U+2028, NEL and the
        # like that splitlines() also breaks at: those are inside a line, which then holds no
        # address.
        for number, line in enumerate(text.split("\n"), start=1):
            line = line.split("#", 1)[0].strip()
            if line:
                entries.append((line, f"{path}:{number}"))
    for entry, where in entries:
        address = address_of(entry, utf8_local=True)
        if address is None:
            raise SendError(f"{where}: not an email address: {entry!r}")
        local, _, domain = address.rpartition("@")
        host = ascii_host(domain)
        if not host:
            raise SendError(f"{where}: the domain of {entry!r} has no ASCII form (IDNA)")
        address = f"{local}@{host}"
        found.setdefault(address.lower(), address)
    return list(found.values())
