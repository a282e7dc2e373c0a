"""`feedtool bounces`: real-world-shaped DSNs (RFC 3464) and ARF complaints (RFC 5965) written as
.eml, mbox and maildir files, read through the command into a real subscriber store; and an IMAP
mailbox served on 127.0.0.1 by a small server that speaks what imaplib needs."""

from __future__ import annotations

import json
import mailbox
import os
import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from conftest import spawn_feedtool, subscriber_of

from feedtool import tokens
from feedtool.bounces import COMPLAINT, read
from feedtool.subscribers import Store

SECRET = "s" * 40

POSTFIX = """\
Return-Path: <>
Date: Mon, 25 Aug 2025 10:00:02 +0800 (CST)
From: MAILER-DAEMON@mail.pan.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: newsletter@pan.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="3C1A2140123.1756087202/mail.pan.example.com"
Message-Id: <20250825020002.0B2D214012F@mail.pan.example.com>

This is a MIME-encapsulated message.

--3C1A2140123.1756087202/mail.pan.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.pan.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@example.org>: host mx.example.org[203.0.113.5] said: 550 5.1.1
    <gone@example.org>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--3C1A2140123.1756087202/mail.pan.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.pan.example.com
X-Postfix-Queue-ID: 3C1A2140123
X-Postfix-Sender: rfc822; newsletter@pan.example.com
Arrival-Date: Mon, 25 Aug 2025 10:00:00 +0800 (CST)

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;Gone@Example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected:
    User unknown in virtual mailbox table

--3C1A2140123.1756087202/mail.pan.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <newsletter@pan.example.com>
From: =?utf-8?b?cGFuIOeahOWNmuWuog==?= <newsletter@pan.example.com>
To: gone@example.org
Subject: =?utf-8?b?cGFuIOeahOWNmuWuouWRqOaKpQ==?=
Message-ID: <digest-2025-W34.gone@pan.example.com>

--3C1A2140123.1756087202/mail.pan.example.com--
"""

EXIM = """\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mx.exim.example>
To: newsletter@pan.example.com
Subject: Mail delivery failed: returning message to sender
Content-Type: multipart/report; report-type=delivery-status; boundary=1756087200-eximdsn-1804289383
MIME-Version: 1.0
Auto-Submitted: auto-replied

--1756087200-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  full@exim.example
    host mail.exim.example [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<full@exim.example>:
    552 5.2.2 Mailbox full

--1756087200-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mx.exim.example

Action: failed
Final-Recipient: rfc822;full@exim.example
Status: 5.0.0
Remote-MTA: dns; mail.exim.example
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--1756087200-eximdsn-1804289383
Content-type: message/rfc822

From: newsletter@pan.example.com
To: full@exim.example
Subject: digest

body
--1756087200-eximdsn-1804289383--
"""

EXIM_DELAY = """\
From: Mail Delivery System <Mailer-Daemon@mx.exim.example>
To: newsletter@pan.example.com
Subject: Warning: message 1uqXyZ-000123-AB delayed 24 hours
Content-Type: multipart/report; report-type=delivery-status; boundary=1756173600-eximdsn-846930886
MIME-Version: 1.0

--1756173600-eximdsn-846930886
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.
No action is required on your part. Delivery attempts will continue for some time.

--1756173600-eximdsn-846930886
Content-type: message/delivery-status

Reporting-MTA: dns; mx.exim.example

Action: delayed
Final-Recipient: rfc822;slow@exim.example
Status: 4.0.0
Remote-MTA: dns; mail.exim.example
Diagnostic-Code: smtp; 451 4.3.0 Temporary failure, please try again later
Will-Retry-Until: Wed, 27 Aug 2025 10:00:00 +0800

--1756173600-eximdsn-846930886--
"""

GMAIL = """\
Delivered-To: newsletter@pan.example.com
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: newsletter@pan.example.com
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000c1d2e3f4a5b6c7d8"; report-type=delivery-status
Message-ID: <66cad3f2.050a0220.1b2c3d.0001.GMR@mx.google.com>

--000000000000c1d2e3f4a5b6c7d8
Content-Type: multipart/related; boundary="000000000000c1d2e3f4a5b6c7e9"

--000000000000c1d2e3f4a5b6c7e9
Content-Type: multipart/alternative; boundary="000000000000c1d2e3f4a5b6c7ea"

--000000000000c1d2e3f4a5b6c7ea
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to nobody.here@gmail.com because the address couldn't be found.

--000000000000c1d2e3f4a5b6c7ea
Content-Type: text/html; charset="UTF-8"

<html><body><h2>Address not found</h2></body></html>

--000000000000c1d2e3f4a5b6c7ea--

--000000000000c1d2e3f4a5b6c7e9--

--000000000000c1d2e3f4a5b6c7d8
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; newsletter@pan.example.com
Arrival-Date: Mon, 25 Aug 2025 02:00:00 -0700 (PDT)
X-Original-Message-ID: <digest-2025-W34.nobody@pan.example.com>

Final-Recipient: rfc822; nobody.here@gmail.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. 2607:f8b0:4864:20::1b
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
 not exist. Please try double-checking the recipient's email address for typos
 or unnecessary spaces. For more information, go to
 https://support.google.com/mail/?p=NoSuchUser d2e1a72fcca58-71e6b5d1 - gsmtp
Last-Attempt-Date: Mon, 25 Aug 2025 02:00:01 -0700 (PDT)

--000000000000c1d2e3f4a5b6c7d8
Content-Type: message/rfc822

From: newsletter@pan.example.com
To: nobody.here@gmail.com
Subject: digest

body
--000000000000c1d2e3f4a5b6c7d8--
"""

MICROSOFT = """\
From: postmaster@outlook.com
To: newsletter@pan.example.com
Date: Mon, 25 Aug 2025 02:00:05 +0000
Subject: Undeliverable: =?utf-8?b?cGFuIOeahOWNmuWuouWRqOaKpQ==?=
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="_000_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_"
MIME-Version: 1.0
X-MS-Exchange-Message-Is-Ndr:

--_000_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_
Content-Type: multipart/alternative;
\tboundary="_002_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_"

--_002_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_
Content-Type: text/plain; charset="us-ascii"

Your message to Missing.Person@outlook.com couldn't be delivered.

--_002_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_--

--_000_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_
Content-Type: message/delivery-status

Reporting-MTA: dns;PH0PR11MB4887.namprd11.prod.outlook.com
Received-From-MTA: dns;mail.pan.example.com
Arrival-Date: Mon, 25 Aug 2025 02:00:04 +0000

Final-Recipient: rfc822;Missing.Person@outlook.com
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient
 Missing.Person@outlook.com not found by SMTP address lookup
X-Display-Name: Missing Person

Final-Recipient: rfc822;busy@hotmail.com
Action: delayed
Status: 4.4.7
Diagnostic-Code: smtp;451 4.4.7 Message delayed
X-Display-Name: Busy

--_000_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_
Content-Type: text/rfc822-headers

From: newsletter@pan.example.com
To: Missing.Person@outlook.com, busy@hotmail.com
Subject: digest

--_000_PH0PR11MB4887A3C2D1E0F9B8A7C6B5D4PH0PR11MB4887namp_--
"""

# RFC 5965 appendix B.2, its Original-Rcpt-To the only address that names the recipient.
RFC5965 = """\
From: <abusedesk@example.com>
Date: Thu, 8 Mar 2005 17:40:36 EDT
Subject: FW: Earn money
To: <abuse@example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT.  For more information
about this format please see http://www.mipassoc.org/arf/.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <somespammer@example.net>
Original-Rcpt-To: <user@example.com>
Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT
Reporting-MTA: dns; mail.example.com
Source-IP: 192.0.2.1
Authentication-Results: mail.example.com;
               spf=fail smtp.mail=somespammer@example.com
Reported-Domain: example.net
Reported-Uri: http://example.net/earn_money.html
Reported-Uri: mailto:user@example.com
Removal-Recipient: user@example.com

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

From: <somespammer@example.net>
Received: from mailserver.example.net
     (mailserver.example.net [192.0.2.1])
     by example.com with ESMTP id M63d4137594e46;
     Thu, 08 Mar 2005 14:00:00 -0400
To: <Undisclosed Recipients>
Subject: Earn money
MIME-Version: 1.0
Content-type: text/plain
Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net
Date: Thu, 02 Sep 2004 12:31:03 -0500

Spam Spam Spam
--part1_13d.2e68ed54_boundary--
"""

YAHOO = """\
From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
To: fbl@pan.example.com
Subject: FW: pan digest
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
 boundary="----=_Part_1234_5678.1756087300"

------=_Part_1234_5678.1756087300
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP 203.0.113.25
on Mon, 25 Aug 2025 02:00:00 PDT.

------=_Part_1234_5678.1756087300
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 0.1
Original-Mail-From: <bounces@pan.example.com>
Original-Rcpt-To: reader@yahoo.com
Received-Date: Mon, 25 Aug 2025 02:00:00 PDT
Reported-Domain: pan.example.com
Authentication-Results: mta1000.mail.gq1.yahoo.com header.from=pan.example.com; dkim=pass (ok)

------=_Part_1234_5678.1756087300
Content-Type: message/rfc822

From: newsletter@pan.example.com
To: reader@yahoo.com
Subject: digest

body
------=_Part_1234_5678.1756087300--
"""

# Microsoft JMRP style: no Original-Rcpt-To and the recipient redacted in the copy; the digest's
# own List-Unsubscribe token still names the subscriber.
JMRP = """\
From: staff@hotmail.com
To: jmrp@pan.example.com
Subject: complaint about message from 203.0.113.25
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="--boundary_7_1f2e3d4c"

----boundary_7_1f2e3d4c
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP 203.0.113.25.

----boundary_7_1f2e3d4c
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Microsoft JMRP
Version: 1.0
Original-Mail-From: <bounces@pan.example.com>
Arrival-Date: Mon, 25 Aug 2025 02:00:00 +0000
Source-IP: 203.0.113.25

----boundary_7_1f2e3d4c
Content-Type: message/rfc822

From: newsletter@pan.example.com
To: <redacted@hotmail.com>
Subject: digest
List-Unsubscribe: <https://news.pan.example.com/unsubscribe/{token}>,
 <mailto:unsubscribe@pan.example.com>
List-Unsubscribe-Post: List-Unsubscribe=One-Click

body
----boundary_7_1f2e3d4c--
"""

NOT_A_REPORT = """\
From: reader@example.com
To: newsletter@pan.example.com
Subject: Re: pan digest

Thanks for the digest! Please write more about RL.
"""

SEEDED = {
    "Gone@Example.org": "confirmed",
    "full@exim.example": "confirmed",
    "slow@exim.example": "confirmed",
    "nobody.here@gmail.com": "pending",
    "Missing.Person@outlook.com": "unsubscribed",  # a bounce is the stronger suppression
    "busy@hotmail.com": "confirmed",
    "user@example.com": "bounced",  # a complaint is stronger still
    "reader@yahoo.com": "complained",  # already: kept
    "hidden@hotmail.com": "confirmed",  # named only by the JMRP report's token
    "keep@example.com": "confirmed",  # named by no report
}
AFTER = {
    "Gone@Example.org": "bounced",
    "full@exim.example": "bounced",
    "slow@exim.example": "confirmed",
    "nobody.here@gmail.com": "bounced",
    "Missing.Person@outlook.com": "bounced",
    "busy@hotmail.com": "confirmed",
    "user@example.com": "complained",
    "reader@yahoo.com": "complained",
    "hidden@hotmail.com": "complained",
    "keep@example.com": "confirmed",
}


@pytest.fixture
def store(blog: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The sample blog's store, seeded with SEEDED; FEEDTOOL_SECRET set for the tokens."""
    monkeypatch.setenv("FEEDTOOL_SECRET", SECRET)
    opened = Store(blog / ".feedtool" / "subscribers.db")
    for address, status in SEEDED.items():
        opened.add(address, status, "test", "seeded by the test")
    yield opened
    opened.close()


def samples(store: Store) -> dict[str, str]:
    ref = subscriber_of(store, "hidden@hotmail.com").ref
    jmrp = JMRP.replace("{token}", tokens.make(SECRET, "unsubscribe", ref))
    return {
        "postfix": POSTFIX,
        "exim": EXIM,
        "exim-delay": EXIM_DELAY,
        "gmail": GMAIL,
        "microsoft": MICROSOFT,
        "rfc5965": RFC5965,
        "yahoo": YAHOO,
        "jmrp": jmrp,
        "reply": NOT_A_REPORT,
    }


def statuses(store: Store) -> dict[str, str]:
    return {s.address: s.status for s in store.all()}


def write_eml(folder: Path, texts: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = folder / f"{name}.eml"
        path.write_bytes(text.replace("\n", "\r\n").encode())  # as mail is stored: CRLF
        paths.append(path)
    return paths


def test_dsn_and_arf_samples_suppress_exactly_the_addresses_they_name(
    blog: Path, store: Store, run
):
    paths = write_eml(blog / "mail", samples(store))
    result = run("bounces", *map(str, paths))
    assert result.exit_code == 0, result.output
    assert statuses(store) == AFTER
    lines = result.stdout.splitlines()
    assert "bounced\tGone@Example.org\t5.1.1\t550 5.1.1 <gone@example.org>: Recipient" in "\n".join(
        lines
    )
    assert any(line.startswith("bounced\tMissing.Person@outlook.com\t5.1.10\t") for line in lines)
    assert any(line.startswith("transient\tbusy@hotmail.com\t4.4.7\t") for line in lines)
    assert any(line.startswith("transient\tslow@exim.example\t4.0.0\t") for line in lines)
    assert any(
        line.startswith("complained\thidden@hotmail.com\tabuse\tMicrosoft") for line in lines
    )
    assert any(line.startswith("kept\treader@yahoo.com\tabuse\t") for line in lines)
    assert lines[-1] == (
        "Read 9 messages: 4 bounced, 2 complained, 1 already suppressed, 2 transient, "
        "1 not reports (ignored)."
    )
    assert f"{paths[-1]}: not a delivery report or complaint; ignored" in result.stderr
    gone = subscriber_of(store, "gone@example.org")
    assert gone.changed_by == "bounce 5.1.1 read by feedtool bounces"
    assert (
        subscriber_of(store, "user@example.com").changed_by
        == "abuse complaint read by feedtool bounces"
    )
    assert subscriber_of(store, "keep@example.com").changed_by == "seeded by the test"
    # Run again: nothing changes, nothing is counted twice as a change.
    again = run("bounces", *map(str, paths))
    assert again.exit_code == 0 and statuses(store) == AFTER
    assert again.stdout.splitlines()[-1].startswith("Read 9 messages: 0 bounced, 0 complained, 7")


def test_dry_run_changes_nothing_and_json_says_the_same(blog: Path, store: Store, run):
    paths = write_eml(blog / "mail", samples(store))
    result = run("bounces", "--dry-run", "--format", "json", *map(str, paths))
    assert result.exit_code == 0, result.output
    assert statuses(store) == SEEDED
    found = json.loads(result.stdout)
    assert found["dry_run"] is True
    assert found["counts"] == {
        "bounced": 4,
        "complained": 2,
        "kept": 1,
        "transient": 2,
        "notice": 0,
        "unknown": 0,
        "read": 9,
        "ignored": 1,
        "problems": 0,
    }
    changes = {c["address"]: c for c in found["changes"]}
    assert changes["Missing.Person@outlook.com"]["before"] == "unsubscribed"
    assert changes["Missing.Person@outlook.com"]["result"] == "bounced"
    assert changes["hidden@hotmail.com"]["kind"] == COMPLAINT
    assert found["ignored"] == [str(paths[-1])]
    text = run("bounces", "--dry-run", *map(str, paths))
    assert text.stdout.splitlines()[-1].endswith("(dry run: nothing changed).")
    assert statuses(store) == SEEDED


def test_unknown_addresses_are_reported_never_added(blog: Path, store: Store, run):
    (blog / "gmail.eml").write_text(GMAIL.replace("nobody.here@gmail.com", "stranger@gmail.com"))
    before = statuses(store)
    result = run("bounces", "gmail.eml")
    assert result.exit_code == 0, result.output
    assert statuses(store) == before
    assert result.stdout.splitlines()[0].startswith("unknown\tstranger@gmail.com\t5.1.1\t")
    assert "1 unknown addresses" in result.stdout


def test_without_the_secret_a_redacted_complaint_names_no_one(
    blog: Path, store: Store, run, monkeypatch: pytest.MonkeyPatch
):
    jmrp = samples(store)["jmrp"]
    monkeypatch.delenv("FEEDTOOL_SECRET")
    (blog / "jmrp.eml").write_text(jmrp)
    result = run("bounces", "jmrp.eml")
    assert result.exit_code == 0, result.output
    assert subscriber_of(store, "hidden@hotmail.com").status == "confirmed"
    assert result.stdout.startswith("unknown\tredacted@hotmail.com\tabuse\t")


def test_mbox_and_maildir_inputs_and_folders_searched(blog: Path, store: Store, run):
    texts = samples(store)
    nested = blog / "archive" / "2025"
    nested.mkdir(parents=True)
    box = mailbox.mbox(nested / "bounces.mbox")
    for name in ("postfix", "exim", "reply"):
        box.add(mailbox.mboxMessage(texts[name].encode()))
    box.close()
    maildir = mailbox.Maildir(blog / "Maildir")
    for name in ("gmail", "microsoft", "yahoo", "rfc5965", "jmrp"):
        maildir.add(texts[name].encode())
    maildir.close()
    (nested / "notes.txt").write_text("not mail: skipped")
    write_eml(blog / "archive", {"exim-delay": texts["exim-delay"]})
    result = run("bounces", "archive", "Maildir")
    assert result.exit_code == 0, result.output
    assert statuses(store) == AFTER
    assert result.stdout.splitlines()[-1] == (
        "Read 9 messages: 4 bounced, 2 complained, 1 already suppressed, 2 transient, "
        "1 not reports (ignored)."
    )
    assert "archive/2025/bounces.mbox: message 3: not a delivery report" in result.stderr


def test_hostile_inputs_get_one_line_each_and_the_rest_is_read(blog: Path, store: Store, run):
    mail = blog / "mail"
    write_eml(mail, {"gmail": GMAIL})
    (mail / "junk.eml").write_bytes(os.urandom(2000).replace(b"\n", b"") + b"\x00\xff")
    (mail / "truncated.eml").write_text(POSTFIX[: POSTFIX.index("Content-Type: message/delivery")])
    (mail / "no-status.eml").write_text(
        EXIM.replace("Status: 5.0.0\n", "Status: five\n").replace("full@exim", "x@exim")
    )
    (mail / "bad-address.eml").write_text(
        MICROSOFT.replace("rfc822;Missing.Person@outlook.com", "rfc822;not an address\x1b[31m")
    )
    (mail / "huge.eml").touch()
    os.truncate(mail / "huge.eml", 300 << 20)  # sparse: larger than feedtool reads
    os.mkfifo(mail / "fifo.eml")  # nothing writes to it: reading would wait forever
    (mail / "link.eml").symlink_to(mail / "gmail.eml")
    maildir = mailbox.Maildir(blog / "Maildir")
    maildir.add(YAHOO.encode())
    maildir.close()
    os.mkfifo(blog / "Maildir" / "new" / "1756087300.fifo.host")
    result = run("bounces", "mail", "Maildir", "missing.eml")
    assert result.exit_code == 1, result.output
    problems = result.stderr.splitlines()
    expected = {
        'mail/bad-address.eml: Final-Recipient "rfc822;not an address\\x1b[31m" is not an address',
        "mail/fifo.eml: cannot read: not a regular file (a device, a pipe or a folder)",
        "mail/huge.eml: cannot read: larger than 256 MB, the most feedtool reads",
        "mail/junk.eml: not an email message (no header fields)",
        "mail/link.eml: a symbolic link inside a folder: not followed",
        "mail/no-status.eml: x@exim.example: no Action or no status code (Status: 5.1.1) "
        "in the report",
        "mail/truncated.eml: a delivery report without its message/delivery-status part",
        "Maildir/new/1756087300.fifo.host: cannot read: not a regular file (a device, a pipe "
        "or a folder)",
        "missing.eml: cannot read: No such file or directory",
    }
    assert set(problems) == expected, result.stderr
    assert "\x1b" not in result.output and "Traceback" not in result.output
    # The good ones, and the good recipient of the report with a bad one, were still read.
    assert subscriber_of(store, "nobody.here@gmail.com").status == "bounced"
    assert subscriber_of(store, "busy@hotmail.com").status == "confirmed"
    assert any(line.startswith("transient\tbusy@hotmail.com") for line in result.stdout.split("\n"))
    assert "9 unreadable" in result.stdout.splitlines()[-1]


def test_a_fifo_named_on_the_command_line_never_hangs(blog: Path):
    os.mkfifo(blog / "fifo")
    child = spawn_feedtool(blog, "bounces", "fifo", stderr=-1, stdout=-1)
    try:
        out, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 1, err
    assert (
        err.decode().strip()
        == "fifo: cannot read: not a regular file (a device, a pipe or a folder)"
    )


def test_usage_errors_exit_2(blog: Path, run):
    result = run("bounces")
    assert result.exit_code == 2 and "give .eml, mbox or maildir paths, or --imap" in result.output
    no_imap = run("bounces", "--imap")
    assert no_imap.exit_code == 2
    assert "--imap needs [bounces] host and user" in no_imap.stderr


def test_read_finds_nothing_in_a_read_receipt():
    receipt = message_from_bytes(
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
        b"--b\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/"
        b"MDN-sent-manually; displayed\n--b--\n",
        policy=default,
    )
    assert read(receipt) is None


# --- IMAP ---------------------------------------------------------------------------------


class _Mailbox:
    """The state of the test IMAP server: messages by UID with their flags, and what it was told."""

    def __init__(self, messages: list[bytes], password: str):
        self.messages: dict[int, tuple[bytes, set[str]]] = {
            uid: (data, set()) for uid, data in enumerate(messages, start=1)
        }
        self.password = password
        self.commands: list[str] = []
        self.moved: dict[str, list[int]] = {}


class _Imap(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 (RFC 3501) for imaplib: LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH
    (RFC822.SIZE, BODY.PEEK[] and BODY[], which sets \\Seen), UID STORE +FLAGS, UID MOVE."""

    def handle(self) -> None:
        try:
            self.serve()
        except (OSError, ValueError, KeyError):  # a client that speaks TLS or junk: hang up
            pass

    def serve(self) -> None:
        box: _Mailbox = self.server.box  # type: ignore[attr-defined]
        self.send(b"* OK [CAPABILITY IMAP4rev1 MOVE] test server ready")
        while line := self.rfile.readline():
            tag, _, rest = line.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            box.commands.append(command)
            if command == "CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1 MOVE")
            elif command == "LOGIN":
                _, _, password = args.partition(" ")
                if password.strip('"') != box.password:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] bad password {password}".encode())
                    continue
            elif command == "SELECT":
                self.send(f"* {len(box.messages)} EXISTS".encode())
            elif command == "UID SEARCH":
                unseen = [str(u) for u, (_, flags) in box.messages.items() if "\\Seen" not in flags]
                self.send(f"* SEARCH {' '.join(unseen)}".encode())
            elif command == "UID FETCH":
                uids, _, what = args.partition(" ")
                for uid in map(int, uids.split(",")):
                    data, flags = box.messages[uid]
                    if "SIZE" in what:
                        self.send(f"* {uid} FETCH (UID {uid} RFC822.SIZE {len(data)})".encode())
                    else:
                        if "PEEK" not in what:
                            flags.add("\\Seen")
                        head = f"* {uid} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n".encode()
                        self.wfile.write(head + data + b")\r\n")
            elif command == "UID STORE":
                uids, _, added = args.partition(" ")
                for uid in map(int, uids.split(",")):
                    box.messages[uid][1].update(re.findall(r"\\\w+", added))
            elif command == "UID MOVE":
                uids, _, folder = args.partition(" ")
                moved = [int(u) for u in uids.split(",")]
                box.moved[folder.strip('"')] = moved
                for uid in moved:
                    del box.messages[uid]
            elif command == "LOGOUT":
                self.send(b"* BYE")
                self.send(f"{tag} OK LOGOUT completed".encode())
                return
            self.send(f"{tag} OK {command} completed".encode())

    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")


@contextmanager
def imap_server(box: _Mailbox) -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Imap)
    server.daemon_threads = True
    server.box = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def imap_config(blog: Path, port: int, extra: str = "") -> None:
    with open(blog / "feedtool.toml", "a", encoding="utf-8") as config:
        config.write(
            f'\n[bounces]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            f'user = "bounces@pan.example.com"\ntimeout = 5\n{extra}'
        )


def test_imap_reads_unseen_reports_and_flags_them_after_the_store(
    blog: Path, store: Store, run, monkeypatch: pytest.MonkeyPatch
):
    texts = samples(store)
    box = _Mailbox([texts[n].encode() for n in ("postfix", "reply", "jmrp")], "p@ss w0rd!")
    box.messages[1][1].add("\\Seen")  # read before: left alone
    box.messages[4] = (GMAIL.encode(), set())
    monkeypatch.setenv("FEEDTOOL_IMAP_PASSWORD", "p@ss w0rd!")
    with imap_server(box) as port:
        imap_config(blog, port)
        dry = run("bounces", "--imap", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert statuses(store) == SEEDED and not box.commands.count("UID STORE")
        result = run("bounces", "--imap")
    assert result.exit_code == 0, result.output
    # Gone@Example.org's message was \Seen already.
    assert subscriber_of(store, "Gone@Example.org").status == "confirmed"
    assert subscriber_of(store, "hidden@hotmail.com").status == "complained"
    assert subscriber_of(store, "nobody.here@gmail.com").status == "bounced"
    assert {uid: "\\Seen" in flags for uid, (_, flags) in box.messages.items()} == {
        1: True,
        2: False,  # a reply from a reader: left for a person to read
        3: True,
        4: True,
    }
    # Fetched with BODY.PEEK (nothing flagged while reading); flagged once, at the end.
    last = len(box.commands) - 1 - box.commands[::-1].index("UID STORE")
    assert box.commands.count("UID STORE") == 1 and "UID FETCH" not in box.commands[last:]
    assert "imap INBOX UID 2: not a delivery report or complaint; ignored" in result.stderr
    assert "p@ss w0rd!" not in result.output


def test_imap_moves_reports_when_configured(
    blog: Path, store: Store, run, monkeypatch: pytest.MonkeyPatch
):
    box = _Mailbox([EXIM.encode(), NOT_A_REPORT.encode()], "secret-1")
    monkeypatch.setenv("FEEDTOOL_IMAP_PASSWORD", "secret-1")
    with imap_server(box) as port:
        imap_config(blog, port, 'folder = "INBOX"\nmove_to = "Processed bounces"\n')
        result = run("bounces", "--imap", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["bounced"] == 1
    assert box.moved == {"Processed bounces": [1]} and list(box.messages) == [2]


def test_imap_login_failure_never_shows_the_password(
    blog: Path, store: Store, run, monkeypatch: pytest.MonkeyPatch
):
    box = _Mailbox([EXIM.encode()], "right-password")
    monkeypatch.setenv("FEEDTOOL_IMAP_PASSWORD", "wrong-password")
    with imap_server(box) as port:
        imap_config(blog, port)
        result = run("bounces", "--imap")
    assert result.exit_code == 2
    assert "wrong-password" not in result.output
    assert result.stderr.strip() == (
        f"error: 127.0.0.1:{port} refused the login of bounces@pan.example.com "
        "(check FEEDTOOL_IMAP_PASSWORD)"
    )
    assert subscriber_of(store, "full@exim.example").status == "confirmed"


def test_imap_in_clear_text_only_to_this_machine(blog: Path, run, monkeypatch):
    monkeypatch.setenv("FEEDTOOL_IMAP_PASSWORD", "secret-1")
    with open(blog / "feedtool.toml", "a", encoding="utf-8") as config:
        config.write('\n[bounces]\nhost = "imap.example.com"\nsecurity = "none"\nuser = "u"\n')
    result = run("bounces", "--imap")
    assert result.exit_code == 2 and "only allowed for a server on this machine" in result.stderr


@pytest.mark.parametrize(
    ("security", "why"),
    [("starttls", "TLS not supported by server"), ("ssl", "[SSL")],
)
def test_imap_without_tls_on_the_server_is_a_clear_error(
    blog: Path, store: Store, run, monkeypatch: pytest.MonkeyPatch, security: str, why: str
):
    box = _Mailbox([EXIM.encode()], "secret-1")
    monkeypatch.setenv("FEEDTOOL_IMAP_PASSWORD", "secret-1")
    with imap_server(box) as port:
        imap_config(blog, port, f'security = "{security}"\n')
        text = (blog / "feedtool.toml").read_text().replace('security = "none"\n', "", 1)
        (blog / "feedtool.toml").write_text(text.replace("timeout = 5", "timeout = 2"))
        result = run("bounces", "--imap")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: cannot talk to 127.0.0.1:{port}: {why}")
    assert "LOGIN" not in box.commands and "secret-1" not in result.output
    assert subscriber_of(store, "full@exim.example").status == "confirmed"
