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
import json
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from ipaddress import ip_address
from pathlib import Path

from .config import address_of
from .errors import FeedtoolError, OutputError
from .files import read_regular_file
from .output import append_line, lock, overwrite

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_sleep = time.sleep  # the pause between retries (tests replace it)


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
    timeout: float = 30.0  # seconds to wait for the server to connect or answer, each time

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
                f"--smtp-security none sends in clear text; it is only allowed for a relay on this machine "
                f"(localhost), not {self.host}"
            )
        if bool(self.user) != bool(self.password):
            raise SendError("set both FEEDTOOL_SMTP_USER and FEEDTOOL_SMTP_PASSWORD, or neither")
        if not (self.user + self.password).isascii():
            # smtplib sends the login as ASCII whatever the mechanism; say so rather than fail mid-run
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
            found.add(encoded[(8 * skip + 5) // 6: 8 * (skip + len(data)) // 6])
    return {text for text in found if len(text) >= 4}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Reservation:
    """A ledger line written before its message is sent: where it is, and where its status is."""

    start: int
    length: int
    status_at: int


# Statuses are written over the reserved one, so each fits its room: JSON allows the spaces after "}".
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
        """Lower-cased addresses that have `digest`. A torn last line (a kill mid-write) is ignored."""
        done: set[str] = set()
        try:
            lines = self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return done
        except OSError as exc:
            raise SendError(f"{self.path}: cannot read the send ledger: {exc.strerror or exc}") from None
        for line in lines:
            try:
                record = json.loads(line.decode("utf-8"))
            except ValueError:  # a torn line, even one cut inside a character
                continue
            if isinstance(record, dict) and record.get("digest") == digest and record.get("status") in _DONE:
                done.add(str(record.get("recipient", "")).lower())
        return done

    def split(self, digest: str, recipients: list[str]) -> tuple[list[str], list[str]]:
        """(the recipients still to get `digest`, those that have it), addresses compared without case."""
        already = self.sent(digest)
        pending: list[str] = []
        done: list[str] = []
        for recipient in recipients:
            (done if recipient.lower() in already else pending).append(recipient)
        return pending, done

    def reserve(self, digest: str, recipient: str, message_id: str) -> Reservation:
        """Write the line for a message about to be sent (status "sending", which readers count
        as not sent: a run killed meanwhile sends it again). OutputError if it cannot be written."""
        record = json.dumps({"digest": digest, "recipient": recipient, "message_id": message_id,
                             "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, ensure_ascii=False)
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

    @property
    def ok(self) -> bool:
        return not self.failed and not self.deferred


def deliver(
    digest: str,
    recipients: Sequence[str],
    build: Callable[[str], EmailMessage],
    server: Server,
    ledger: Ledger,
    *,
    retries: int = 3,
    backoff: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Send `build(recipient)` to each recipient not in the ledger; retry temporary failures.

    A try that fails for a reason of the server's rather than the address's (it cannot be
    reached, hangs up, stalls past `server.timeout`, answers 421) is retried after `backoff`,
    twice that, and so on; if the last try fails that way too, the remaining recipients are
    not tried (deferred to the next run) instead of each waiting out its own retries.
    Raises SendError for what no retry can fix (TLS or login settings, a refused sender).
    """
    server.check()
    outcome = Outcome()
    # One sender per ledger: two runs at once would each read it before the other wrote to it,
    # and both send to everyone. The second stops here instead.
    held = lock(ledger.path.with_name(ledger.path.name + ".lock"))
    connection: smtplib.SMTP | None = None
    try:
        pending, skipped = ledger.split(digest, recipients)
        outcome.skipped.extend(skipped)
        for number, recipient in enumerate(pending, start=1):
            message = build(recipient)
            try:
                reservation = ledger.reserve(digest, recipient, str(message["Message-ID"]))
            except OutputError as exc:  # a full disk: stop before a message that would go unrecorded
                reason = f"not sent: the send ledger cannot be written ({exc})"
                _defer_rest(outcome, pending[number - 1:], reason, server)
                return outcome
            try:
                connection, failure = _serve(connection, server, message, recipient, retries, backoff)
            except SendError:  # raised before any message went out
                _forget(ledger, reservation)
                raise
            try:
                ledger.settle(reservation, "sent" if failure is None else None)
            except OutputError as exc:
                if failure is None:
                    raise SendError(f"{recipient} was sent {digest}, but the ledger could not record it "
                                    f"({exc}); the next run would send it again") from None
            if failure is None:
                outcome.sent.append(recipient)
            elif failure.permanent:
                outcome.failed[recipient] = server.redact(failure.reason)
            elif failure.server_wide:  # the rest would only meet the same fate: next run
                _defer_rest(outcome, pending[number - 1:], failure.reason, server)
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


def _serve(connection: smtplib.SMTP | None, server: Server, message: EmailMessage, recipient: str, retries: int,
           backoff: float) -> tuple[smtplib.SMTP | None, _Failure | None]:
    """Send one message, retrying temporary failures: (the connection, None or the last failure)."""
    sender = parseaddr(str(message["From"]))[1]
    for attempt in range(retries + 1):
        if attempt:
            _sleep(backoff * 2 ** (attempt - 1))
        connection, failure = _attempt(connection, server, message, sender, recipient)
        if failure is None or failure.permanent:
            break
    return connection, failure


def _forget(ledger: Ledger, reservation: Reservation) -> None:
    """Blank a reserved line whose message did not go out (if that fails, "sending" says as much)."""
    try:
        ledger.settle(reservation, None)
    except OutputError:
        pass


def _defer_rest(outcome: Outcome, waiting: Sequence[str], reason: str, server: Server) -> None:
    """The first of `waiting` was not sent for `reason`; the others are not tried."""
    outcome.deferred[waiting[0]] = server.redact(reason)
    for recipient in waiting[1:]:
        outcome.deferred[recipient] = server.redact(f"not tried: {reason}")


@dataclass(frozen=True)
class _Failure:
    reason: str
    permanent: bool = False  # this address is refused: do not retry it in this run
    server_wide: bool = False  # the server's trouble, not the address's


class _Unavailable(Exception):
    """The server cannot be reached or talked to right now (worth retrying later)."""


def _attempt(connection: smtplib.SMTP | None, server: Server, message: EmailMessage, sender: str,
             recipient: str) -> tuple[smtplib.SMTP | None, _Failure | None]:
    """One try at one message: (the connection to go on with or None, None or why it failed)."""
    if connection is None:
        try:
            connection = _connect(server)
        except _Unavailable as exc:
            return None, _Failure(str(exc), server_wide=True)
    try:
        connection.send_message(message, from_addr=sender, to_addrs=[recipient])
        return connection, None
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = exc.recipients.get(recipient, (550, b"refused"))
        failure = _refusal(code, reply, server)
    except smtplib.SMTPSenderRefused as exc:
        if 500 <= exc.smtp_code < 600:
            raise SendError(f"the server refuses the sender {sender}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
        failure = _refusal(exc.smtp_code, exc.smtp_error, server, server_wide=True)
    except smtplib.SMTPNotSupportedError:  # raised before MAIL FROM, only for a non-ASCII address
        failure = _Failure(f"{server.address} does not take non-ASCII addresses (no SMTPUTF8)", permanent=True)
    except smtplib.SMTPResponseException as exc:  # SMTPDataError, or a reply smtplib could not read
        failure = _refusal(exc.smtp_code, exc.smtp_error, server)
    except (smtplib.SMTPException, OSError) as exc:  # hung up, reset, timed out, TLS broke
        failure = _Failure(_trouble(exc, server), server_wide=True)
    except ValueError as exc:  # e.g. an address that smtplib will not put on the wire
        failure = _Failure(f"cannot send to this address: {exc}", permanent=True)
    # smtplib closes the connection after a 421 or a lost connection; after anything else the
    # transaction is reset (RSET), and a connection whose state is in doubt is dropped.
    if failure.server_wide or connection.sock is None:
        return _close(connection), failure
    return _reset(connection), failure


def _refusal(code: int, text: bytes | str, server: Server, server_wide: bool = False) -> _Failure:
    """A reply to MAIL, RCPT or DATA: 5xx permanent, 4xx temporary (421: the server is closing)."""
    if isinstance(text, str) or not 400 <= code < 600:  # str: smtplib's own, e.g. "Line too long."
        return _Failure(f"{server.address} sent a reply that could not be understood: {_reply(code, text)}",
                        server_wide=True)
    return _Failure(_reply(code, text), permanent=code >= 500, server_wide=server_wide or code == 421)


def _trouble(exc: BaseException, server: Server) -> str:
    """What went wrong with the connection, in a line."""
    cause = exc.__context__ if isinstance(exc, smtplib.SMTPServerDisconnected) else exc
    if isinstance(cause, TimeoutError):
        return f"{server.address} did not answer within {server.timeout:g} s"
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


def _connect(server: Server) -> smtplib.SMTP:
    """A connection ready for MAIL FROM. Raises _Unavailable for what may pass (retry later),
    SendError for what settings must fix."""
    port = server.port_in_use
    where = server.address
    context = ssl.create_default_context()
    connection: smtplib.SMTP | None = None
    try:
        try:
            if server.security == "ssl":
                connection = smtplib.SMTP_SSL(server.host, port, timeout=server.timeout, context=context)
            else:
                connection = smtplib.SMTP(server.host, port, timeout=server.timeout)
        except UnicodeError:  # from the IDNA codec
            raise SendError(f"{server.host!r} is not a valid host name") from None
        connection.ehlo_or_helo_if_needed()
        if server.security == "starttls":
            if not connection.has_extn("starttls"):
                raise SendError(f"{where} does not offer STARTTLS; use --smtp-security ssl (usually port 465), "
                                "or none for a relay on this machine")
            connection.starttls(context=context)
            connection.ehlo()
        if server.user:
            if not connection.has_extn("auth"):
                raise SendError(f"{where} does not offer AUTH; unset FEEDTOOL_SMTP_USER and "
                                "FEEDTOOL_SMTP_PASSWORD if it needs no login")
            try:
                connection.login(server.user, server.password)
            except smtplib.SMTPResponseException as exc:
                # The reply may repeat the login in any encoding: only its codes are kept.
                raise smtplib.SMTPAuthenticationError(exc.smtp_code, _codes_only(exc.smtp_error)) from None
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
        raise SendError(f"SMTP login refused for {server.user}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    if isinstance(exc, smtplib.SMTPResponseException):  # the greeting, EHLO, STARTTLS or AUTH refused
        text = _reply(exc.smtp_code, exc.smtp_error)
        if isinstance(exc.smtp_error, str) or not 400 <= exc.smtp_code < 600:
            raise SendError(f"{where} sent a reply that could not be understood: {text}") from None
        if exc.smtp_code >= 500:
            raise SendError(f"{where} refuses the connection: {text}") from None
        raise _Unavailable(f"{where} is not available: {text}") from None
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError,
                                                                ssl.SSLSyscallError)):
        raise SendError(f"TLS with {where} failed: {exc.reason or exc} "
                        f"(is --smtp-security {server.security} right for this server and port?)") from None
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        raise _Unavailable(_trouble(exc, server)) from None
    if isinstance(exc, smtplib.SMTPException):  # e.g. "No suitable authentication method found."
        raise SendError(f"cannot log in to {where}: {exc}") from None
    if isinstance(exc, ValueError):  # e.g. an AUTH challenge that is not base64
        raise SendError(f"{where} sent a reply that could not be understood ({exc})") from None


def _reset(connection: smtplib.SMTP | None) -> smtplib.SMTP | None:
    """After a refused message, RSET so the connection can carry the next one (or drop it)."""
    if connection is None:
        return None
    try:
        code, _ = connection.rset()
    except (smtplib.SMTPException, OSError, ValueError):
        return _close(connection)
    return connection if code == 250 else _close(connection)


def _close(connection: smtplib.SMTP | None) -> None:
    """Quit politely if possible; always returns None (for `connection = _close(connection)`)."""
    if connection is not None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError, ValueError):
            try:
                connection.close()
            except OSError:
                pass
    return None


def _reply(code: int, text: bytes | str) -> str:
    """A server's reply as one printable line (it may span lines and hold control characters)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _one_line(f"{code} {text}").strip()


def _codes_only(text: bytes | str) -> bytes:
    """A reply's enhanced status code (RFC 3463) without its words, which are not shown."""
    found = re.match(rb"\s*([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9.])", text if isinstance(text, bytes) else b"")
    return (found.group(1) + b" " if found else b"") + b"(the server's words are not shown after AUTH)"


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def read_recipients(addresses: Iterable[str], files: Iterable[Path]) -> list[str]:
    """--to addresses and --to-file lines (blank lines and # comments skipped), each once."""
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
        # like that splitlines() also breaks at: those are inside a line, which then holds no address.
        for number, line in enumerate(text.split("\n"), start=1):
            line = line.split("#", 1)[0].strip()
            if line:
                entries.append((line, f"{path}:{number}"))
    for entry, where in entries:
        address = address_of(entry)
        if address is None:
            raise SendError(f"{where}: not an email address: {entry!r}")
        found.setdefault(address.lower(), address)
    return list(found.values())

