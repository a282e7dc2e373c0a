"""The copy a subscriber receives, scored by SpamAssassin's default rules with network tests off
(Debian's spamassassin package, which `make test` installs)."""

from __future__ import annotations

import email
import os
import re
import subprocess
from email import policy
from pathlib import Path

import pytest
from conftest import body_of, need, send_args
from lxml import html as lxml_html
from techweek import write_tech_week


@pytest.fixture(scope="module")
def spamassassin() -> str:
    return need("spamassassin")


def score(spamassassin: str, message: bytes, home: Path) -> tuple[float, str]:
    """SpamAssassin's score of `message` with local tests only (-L), and the rules that hit."""
    home.mkdir(exist_ok=True)
    done = subprocess.run(
        [spamassassin, "-L", "-t", "-x"],
        input=message,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
        check=True,
    )
    checked = email.message_from_bytes(done.stdout, policy=policy.default)
    status = str(checked["X-Spam-Status"])
    found = re.search(r"score=(-?[0-9.]+)", status)
    assert found, done.stdout[-3000:]
    return float(found.group(1)), status


@pytest.mark.parametrize("week", ["sample", "tech"])
def test_the_received_copy_scores_zero_or_below(
    spamassassin: str, blog: Path, run, smtp_server, tmp_path: Path, week: str
):
    recorder, port = smtp_server
    if week == "tech":
        write_tech_week(blog)
    result = run(*send_args(port, "--to", "reader@example.com"))
    assert result.exit_code == 0, result.output
    [(_, _, received)] = recorder.messages
    points, status = score(spamassassin, received, tmp_path / "home")
    assert points <= 0, status


def test_nothing_in_the_html_that_spam_filters_score(blog: Path, run, smtp_server):
    """The preheader is hidden without a colour trick, tag pills have whitespace between them,
    and no link carries the subscriber's address."""
    recorder, port = smtp_server
    result = run(*send_args(port, "--to", "reader@example.com"))
    assert result.exit_code == 0, result.output
    msg = email.message_from_bytes(recorder.messages[0][2], policy=policy.default)
    body = body_of(msg, "html")
    doc = lxml_html.document_fromstring(body)
    preheader = doc.xpath("//div[contains(@class, 'preheader')]")[0].get("style")
    assert "display: none" in preheader and not re.search(
        r"(^|;)\s*(color|font-size|opacity)\b", preheader
    )
    pills = doc.xpath("//span[contains(@class, 'tag')]")
    assert len(pills) > 1 and all(pill.tail and pill.tail.isspace() for pill in pills)
    assert not any("reader" in (a.get("href") or "") for a in doc.iter("a"))
    assert "reader" not in str(msg["List-Unsubscribe"])
