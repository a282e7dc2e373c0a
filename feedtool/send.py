"""SMTP delivery with a ledger, so that a digest reaches each address once.

The ledger is an append-only file of JSON lines, one per (digest, recipient) the server
accepted, flushed to disk before the next message goes out. A run that is interrupted (a
dropped connection, a 4xx reply, a kill) is simply run again: it skips everyone the ledger
names. Retries of one message carry the same Message-ID, so that in the rare case of a crash
between the server's "250 OK" and the ledger line, mail clients can drop the duplicate.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from ipaddress import ip_address
from pathlib import Path

from .errors import FeedtoolError
from .output import append_line

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


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
    timeout: float = 30.0

    def check(self) -> None:
        if self.security == "none" and not is_loopback(self.host):
            raise SendError(
                f"--smtp-security none sends in clear text; it is only allowed for a relay on this machine "
                f"(localhost), not {self.host}"
            )
        if bool(self.user) != bool(self.password):
            raise SendError("set both FEEDTOOL_SMTP_USER and FEEDTOOL_SMTP_PASSWORD, or neither")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Ledger:
    """Who has received which digest: JSON lines {"digest", "recipient", "message_id", "at"}."""

    def __init__(self, path: Path):
        self.path = path

    def sent(self, digest: str) -> set[str]:
        """Lower-cased addresses that have `digest`. A torn last line (a kill mid-write) is ignored."""
        done: set[str] = set()
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return done
        except (OSError, UnicodeDecodeError) as exc:
            raise SendError(f"{self.path}: cannot read the send ledger: {exc}") from None
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("digest") == digest:
                done.add(str(record.get("recipient", "")).lower())
        return done

    def record(self, digest: str, recipient: str, message_id: str) -> None:
        line = json.dumps({"digest": digest, "recipient": recipient, "message_id": message_id,
                           "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, ensure_ascii=False)
        append_line(self.path, line)


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
    """Send `build(recipient)` to each recipient not in the ledger; retry temporary failures."""
    server.check()
    outcome = Outcome()
    already = ledger.sent(digest)
    pending = []
    for recipient in recipients:
        (outcome.skipped if recipient.lower() in already else pending).append(recipient)
    connection: smtplib.SMTP | None = None
    try:
        for number, recipient in enumerate(pending, start=1):
            message = build(recipient)
            sender = parseaddr(str(message["From"]))[1]
            for attempt in range(retries + 1):
                connected = connection is not None
                try:
                    connection = connection or _connect(server)
                    connected = True
                    connection.send_message(message, from_addr=sender, to_addrs=[recipient])
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reply = exc.recipients.get(recipient, (550, b"refused"))
                    error, permanent = _reply(code, reply), code >= 500
                except smtplib.SMTPSenderRefused as exc:
                    if exc.smtp_code >= 500:
                        raise SendError(f"the server refuses the sender {sender}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
                    error, permanent = _reply(exc.smtp_code, exc.smtp_error), False
                except smtplib.SMTPAuthenticationError as exc:
                    raise SendError(f"SMTP login refused for {server.user}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
                except smtplib.SMTPResponseException as exc:
                    error, permanent = _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code >= 500
                    connection = _reset(connection)
                except (smtplib.SMTPException, OSError) as exc:  # dropped, refused, timed out, TLS
                    error, permanent = f"{type(exc).__name__}: {exc}", False
                    connection = _close(connection)
                else:
                    ledger.record(digest, recipient, str(message["Message-ID"]))
                    outcome.sent.append(recipient)
                    break
                if permanent:
                    outcome.failed[recipient] = error
                    break
                if attempt < retries:
                    time.sleep(backoff * 2 ** attempt)
                    continue
                if not connected:  # the server can't be reached at all: the rest wait for the next run
                    for waiting in pending[number - 1:]:
                        outcome.deferred[waiting] = error
                    return outcome
                outcome.deferred[recipient] = error
            if progress:
                progress(number, len(pending))
    finally:
        _close(connection)
    return outcome


def _connect(server: Server) -> smtplib.SMTP:
    port = server.port or DEFAULT_PORTS[server.security]
    context = ssl.create_default_context()
    if server.security == "ssl":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(server.host, port, timeout=server.timeout, context=context)
    else:
        connection = smtplib.SMTP(server.host, port, timeout=server.timeout)
    try:
        connection.ehlo()
        if server.security == "starttls":
            connection.starttls(context=context)
            connection.ehlo()
        if server.user:
            connection.login(server.user, server.password)
    except BaseException:
        _close(connection)
        raise
    return connection


def _reset(connection: smtplib.SMTP | None) -> smtplib.SMTP | None:
    """After a refused message, RSET so the connection can carry the next one."""
    if connection is None:
        return None
    try:
        connection.rset()
        return connection
    except (smtplib.SMTPException, OSError):
        return _close(connection)


def _close(connection: smtplib.SMTP | None) -> None:
    """Quit politely if possible; always returns None (for `connection = _close(connection)`)."""
    if connection is not None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            try:
                connection.close()
            except OSError:
                pass
    return None


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def read_recipients(addresses: Iterable[str], files: Iterable[Path]) -> list[str]:
    """--to addresses and --to-file lines (blank lines and # comments skipped), each once."""
    found: dict[str, str] = {}
    entries = [(a, "--to") for a in addresses]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SendError(f"{path}: cannot read recipients: {exc}") from None
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if line:
                entries.append((line, f"{path}:{number}"))
    for entry, where in entries:
        name, address = parseaddr(entry)
        if "@" not in address or " " in address or address.startswith("@") or address.endswith("@"):
            raise SendError(f"{where}: not an email address: {entry!r}")
        found.setdefault(address.lower(), address)
    return list(found.values())

