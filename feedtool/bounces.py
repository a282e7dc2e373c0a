"""Bounces and complaints: delivery status notifications (RFC 3464) and abuse reports (ARF,
RFC 5965) read into findings, and the findings applied to the subscriber store.

`read` is a pure function of a parsed message. A permanent failure (Action: failed, Status 5.x.x)
makes a known address `bounced`; an abuse, fraud or other complaint makes it `complained`.
Transient failures and other notices change nothing; unknown addresses are reported, never added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from .config import address_of
from .diagnostics import escape_surrogates, plural
from .mailboxes import Mail

BOUNCE, TRANSIENT, COMPLAINT, NOTICE = "bounce", "transient", "complaint", "notice"
# Feedback types that are a recipient's complaint (RFC 5965 7.3); not-spam, virus and
# auth-failure (RFC 6591) reports say nothing of whether the recipient wants the mail.
COMPLAINT_TYPES = frozenset(("abuse", "fraud", "other"))
_NEW_STATUS = {BOUNCE: "bounced", COMPLAINT: "complained"}
_STATUS_CODE = re.compile(r"([245])\.\d{1,3}\.\d{1,3}(?![\d.])")  # RFC 3463 class.subject.detail
_TOKEN = re.compile(r"/unsubscribe/([A-Za-z0-9_.\-]{10,400})(?![A-Za-z0-9_.\-])")
_DIAGNOSTIC_LENGTH = 200
_FOREVER = 100 * 365 * 86400  # an old digest's token still names its recipient


class BadReport(ValueError):
    """A report that cannot be read (truncated, garbled): what is wrong, in a few words."""


@dataclass(frozen=True)
class Finding:
    """What a report says of one recipient."""

    addresses: tuple[str, ...]  # the recipient as the report names it, likeliest first; may be ()
    kind: str  # BOUNCE, TRANSIENT, COMPLAINT or NOTICE
    status: str  # the DSN status code (5.1.1) or the feedback type (abuse)
    diagnostic: str  # one printable line: the remote server's words, or the reporter's
    token: str = ""  # the unsubscribe token in the reported message (complaints)


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    problems: list[str]  # recipients the report names in a way that cannot be read


def read(message: Message) -> Report | None:
    """The findings of a delivery status notification or a complaint; None for any other
    message; BadReport for one that says it is a report but cannot be read as one."""
    if message.get_content_type() != "multipart/report":
        return None
    kind = str(message.get_param("report-type") or "").lower()
    if kind not in ("delivery-status", "feedback-report"):
        return None  # read receipts (disposition-notification), TLS reports...
    parts = message.get_payload()
    if not isinstance(parts, list) or not parts:
        raise BadReport(f"a {kind} report without its parts (truncated?)")
    return _delivery_status(parts) if kind == "delivery-status" else _feedback(parts)


def _delivery_status(parts: list[Any]) -> Report:
    types = ("message/delivery-status", "message/global-delivery-status")
    part = next((p for p in parts if p.get_content_type() in types), None)
    if part is None:
        raise BadReport("a delivery report without its message/delivery-status part")
    findings, problems = [], []
    # The first block holds the per-message fields; each further one names a recipient.
    for block in _blocks(part):
        if block.get("Final-Recipient") is None:
            continue
        try:
            findings.append(_recipient(block))
        except BadReport as exc:
            problems.append(str(exc))
    if not findings and not problems:
        raise BadReport("a delivery report that names no recipient (Final-Recipient)")
    return Report(findings, problems)


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a delivery-status part: the std lib parses message/delivery-status
    into a list of them; the UTF-8 form (RFC 6533) comes as text, parsed here the same way."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    parser = HeaderParser()
    return [parser.parsestr(block) for block in re.split(r"\r?\n[ \t]*\r?\n", text) if block]


def _recipient(block: Message) -> Finding:
    final = _typed_address(str(block.get("Final-Recipient")))
    if final is None:
        raise BadReport(
            f'Final-Recipient "{printable(str(block.get("Final-Recipient")))}" is not an address'
        )
    original = _typed_address(str(block.get("Original-Recipient", "")))
    addresses = tuple(dict.fromkeys(a for a in (original, final) if a))  # as we sent it, first
    action = str(block.get("Action", "")).strip().lower()
    status = _STATUS_CODE.match(str(block.get("Status", "")).strip())
    if not action or status is None:
        raise BadReport(f"{final}: no Action or no status code (Status: 5.1.1) in the report")
    if action == "failed" and status[1] == "5":
        kind = BOUNCE
    elif action in ("failed", "delayed"):  # a 4.x.x failure: the mailbox may come back
        kind = TRANSIENT
    else:  # delivered, relayed, expanded
        kind = NOTICE
    diagnostic = str(block.get("Diagnostic-Code", ""))
    diagnostic = diagnostic.split(";", 1)[1] if ";" in diagnostic else diagnostic  # "smtp; 550..."
    return Finding(addresses, kind, status[0], _one_line(diagnostic))


def _typed_address(value: str) -> str | None:
    """The address in an RFC 3464 "rfc822; a@example.com" (or utf-8) field; None otherwise."""
    kind, sep, address = value.partition(";")
    if not sep:  # some servers leave out the type
        kind, address = "rfc822", kind
    if kind.strip().lower() not in ("rfc822", "utf-8"):
        return None
    return address_of(address.strip(), utf8_local=True)


def _feedback(parts: list[Any]) -> Report:
    part = next((p for p in parts if p.get_content_type() == "message/feedback-report"), None)
    fields = _fields(part) if part is not None else None
    if fields is None or fields.get("Feedback-Type") is None:
        raise BadReport("a complaint report without its message/feedback-report fields")
    feedback = str(fields["Feedback-Type"]).strip().lower()
    named = [str(value) for value in fields.get_all("Original-Rcpt-To") or ()]
    recipients = [address_of(value, utf8_local=True) for value in named]
    problems = [
        f'Original-Rcpt-To "{printable(value)}" is not an address'
        for value, address in zip(named, recipients, strict=True)
        if address is None
    ]
    original = _original_headers(parts)
    token = ""
    if original is not None:
        # The digest's own header names the subscriber even where the reporter hides the
        # recipient (RFC 6590 redaction: Yahoo, Microsoft); one To address is the next best.
        unsubscribe = _TOKEN.search(str(original.get("List-Unsubscribe", "")))
        token = unsubscribe[1] if unsubscribe else ""
        to = [address_of(str(value), utf8_local=True) for value in original.get_all("To") or ()]
        recipients += to if len(to) == 1 else []
    addresses = tuple(dict.fromkeys(a for a in recipients if a))
    kind = COMPLAINT if feedback in COMPLAINT_TYPES else NOTICE
    reporter = _one_line(str(fields.get("User-Agent", "")))
    return Report([Finding(addresses, kind, _one_line(feedback), reporter, token)], problems)


def _fields(part: Message) -> Message | None:
    """The fields of a message/feedback-report part (the std lib reads its body as a message
    of headers alone)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload[0] if payload and isinstance(payload[0], Message) else None
    return HeaderParser().parsestr(str(payload))


def _original_headers(parts: list[Any]) -> Message | None:
    """The headers of the reported message: a message/rfc822 or text/rfc822-headers part."""
    for part in parts[1:]:
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif content_type == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            return HeaderParser().parsestr(text)
    return None


def _one_line(text: str) -> str:
    line = " ".join(printable(text).split())
    return line if len(line) <= _DIAGNOSTIC_LENGTH else line[: _DIAGNOSTIC_LENGTH - 1] + "…"


def printable(text: str) -> str:
    """`text` safe for a terminal: controls (an escape sequence in a report) written out."""
    return "".join(
        c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" if ord(c) < 256 else " "
        for c in escape_surrogates(text)
    )


# --- applying findings to the store -------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One finding and what became of it: bounced, complained, kept (a status as strong held
    already), transient, notice or unknown (the store does not know the address)."""

    source: str
    address: str
    kind: str
    status: str
    diagnostic: str
    result: str
    before: str = ""  # the address's status before (known addresses)


@dataclass
class Summary:
    dry_run: bool = False
    read: int = 0  # messages read (reports or not)
    ignored: list[str] = field(default_factory=list)  # messages that are no report
    problems: list[str] = field(default_factory=list)  # "source: what is wrong"
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        results = [outcome.result for outcome in self.outcomes]
        counted = ("bounced", "complained", "kept", "transient", "notice", "unknown")
        return {
            **{name: results.count(name) for name in counted},
            "read": self.read,
            "ignored": len(self.ignored),
            "problems": len(self.problems),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "changes": [asdict(o) for o in self.outcomes],
            "ignored": self.ignored,
            "problems": self.problems,
        }

    def text(self) -> str:
        counts = self.counts()
        messages = plural(self.read, "message")
        parts = [f"{counts[name]} {name}" for name in ("bounced", "complained")]
        parts += [
            f"{counts[name]} {label}"
            for name, label in (
                ("kept", "already suppressed"),
                ("transient", "transient"),
                ("notice", "other notices"),
                ("unknown", "unknown addresses"),
                ("ignored", "not reports (ignored)"),
                ("problems", "unreadable"),
            )
            if counts[name]
        ]
        suffix = " (dry run: nothing changed)" if self.dry_run else ""
        return f"Read {messages}: {', '.join(parts)}{suffix}."


def apply(mails: Iterable[Mail], summary: Summary, store: Any, key: str | None) -> Iterator[Mail]:
    """Read each mail, record what its report says in `summary` and (unless dry run) in the
    store; yield the mails that were reports, once the store holds what they say."""
    from email import message_from_bytes
    from email.policy import default

    for mail in mails:
        label = printable(mail.label)
        if mail.problem:
            summary.problems.append(f"{label}: {mail.problem}")
            continue
        summary.read += 1
        try:
            message = message_from_bytes(mail.data, policy=default)
            if not message.keys():
                raise BadReport("not an email message (no header fields)")
            report = read(message)
        except BadReport as exc:
            summary.problems.append(f"{label}: {exc}")
            continue
        except Exception as exc:  # the std lib's header parser fails in many ways on junk
            summary.problems.append(f"{label}: cannot parse the message ({type(exc).__name__})")
            continue
        if report is None:
            summary.ignored.append(label)
            continue
        summary.problems += [f"{label}: {problem}" for problem in report.problems]
        for finding in report.findings:
            summary.outcomes.append(_settle(finding, label, store, key, summary.dry_run))
        yield mail


def _settle(finding: Finding, label: str, store: Any, key: str | None, dry_run: bool) -> Outcome:
    known = _known(finding, store, key)
    address = known or (finding.addresses[0] if finding.addresses else "")
    outcome = Outcome(
        label, address, finding.kind, finding.status, finding.diagnostic, finding.kind
    )
    if finding.kind not in _NEW_STATUS:
        return outcome
    if known is None:
        return replace(outcome, result="unknown")
    status = _NEW_STATUS[finding.kind]
    how = (
        f"bounce {finding.status} read by feedtool bounces"
        if finding.kind == BOUNCE
        else f"{finding.status} complaint read by feedtool bounces"
    )
    before, changed = store.suppress(known, status, how, dry_run=dry_run)
    return replace(outcome, result=status if changed else "kept", before=before or "")


def _known(finding: Finding, store: Any, key: str | None) -> str | None:
    """The address in the store that the finding names: its verified unsubscribe token's
    subscriber, else the first of its addresses the store knows."""
    if store is None:
        return None
    if finding.token and key:
        from . import tokens

        try:
            ref = tokens.read(key, "unsubscribe", finding.token, max_age=_FOREVER)
        except tokens.BadToken:
            ref = None
        subscriber = store.by_ref(ref) if ref else None
        if subscriber is not None:
            return subscriber.address
    for address in finding.addresses:
        if store.get(address) is not None:
            return address
    return None


def run(
    site: Any,
    paths: Iterable[Path],
    store: Any,
    *,
    imap_password: str | None = None,
    dry_run: bool = False,
) -> Summary:
    """Read the reports in `paths` and, with `imap_password`, in the [bounces] mailbox; update
    the store (none: every address is unknown) unless `dry_run`. Mailbox messages that were
    reports are flagged read (or moved) after the store is updated, never in a dry run."""
    from .mailboxes import Imap, from_paths

    summary = Summary(dry_run=dry_run)
    key = _signing_key(site) if store is not None else None  # (no store: every address unknown)
    for _ in apply(from_paths(paths), summary, store, key):
        pass
    if imap_password is not None:
        with Imap(site.bounces, imap_password) as mailbox:
            handled = list(apply(mailbox.messages(), summary, store, key))
            if not dry_run:
                mailbox.finish(handled)
    return summary


def _signing_key(site: Any) -> str | None:
    """The secret that signed the digests' unsubscribe tokens, if one is set up."""
    from . import tokens
    from .errors import ConfigError

    try:
        return tokens.secret(site.subscribe.key_file)
    except ConfigError:  # no secret: complaints are matched by the addresses they name
        return None
