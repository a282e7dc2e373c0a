"""`feedtool digest`: windows, the .eml read back with the standard library, and sending."""

from __future__ import annotations

import dataclasses
import email
import json
import re
import subprocess
import sys
import unicodedata
from datetime import datetime
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import body_of, post_of, send_args, write_post
from lxml import html as lxml_html
from techweek import png, write_tech_week

from feedtool import config, digest, render

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBJECT = "pan 的博客周报 · 2025 第 34 周"


@pytest.fixture
def w34(blog: Path, run) -> Path:
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 0, result.output
    return blog / "public" / "digest"


def parse_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_eml_structure_and_headers(w34: Path):
    raw = (w34 / "2025-W34.eml").read_bytes()
    msg = parse_eml(w34 / "2025-W34.eml")
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert msg["Subject"] == SUBJECT
    assert re.search(rb"^Subject: .*=\?utf-8\?", raw, re.MULTILINE)  # RFC 2047 on the wire
    assert msg["From"] == "pan 的博客 <newsletter@pan.example.com>"
    assert msg["Reply-To"] == "pan@pan.example.com"
    assert msg["Date"].datetime.utcoffset().total_seconds() == 8 * 3600
    assert msg["Date"].datetime == datetime(2025, 8, 25, tzinfo=SHANGHAI)
    assert re.fullmatch(r"<[^@<>]+@pan\.example\.com>", msg["Message-ID"])
    assert (
        msg["List-Unsubscribe"] == "<https://pan.example.com/unsubscribe>, "
        "<mailto:unsubscribe@pan.example.com?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines), "every line ends with CRLF"
    assert max(len(line) for line in lines) <= 998
    assert raw.isascii()


def test_html_part_is_email_ready(w34: Path):
    msg = parse_eml(w34 / "2025-W34.eml")
    body = body_of(msg, "html")
    # The same HTML as the .html file, but for the CRLF line ends of the message.
    assert (
        body.replace("\r\n", "\n").rstrip()
        == (w34 / "2025-W34.html").read_text(encoding="utf-8").rstrip()
    )
    assert len(body.encode()) < 90 * 1024
    doc = lxml_html.document_fromstring(body)
    assert doc.get("lang") == "zh-CN"
    metas = {
        m.get("name") or "charset": m.get("content") or m.get("charset") for m in doc.iter("meta")
    }
    assert metas["charset"].lower() == "utf-8"
    assert "width=device-width" in metas["viewport"]
    assert metas["color-scheme"] == "light dark"
    # Only @media rules stay in <style>; everything else is inlined.
    for style in doc.iter("style"):
        css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", style.text or "")
        assert css.strip() == "", css
    assert "@media only screen and (max-width: 620px)" in body
    assert not doc.xpath("//script|//form|//iframe|//link|//object|//embed")
    # A fluid card up to 600px; a fixed 600px table only for Outlook (Word), in conditional
    # comments.
    card = doc.xpath("//table[@role='presentation'][contains(@class, 'card')]")[0]
    assert card.get("width") == "100%" and "max-width: 600px" in card.get("style")
    assert "table-layout: fixed" in card.get("style")
    assert not doc.xpath("//*[@width='600']")
    assert re.search(r'<!--\[if mso\]><table [^>]*width="600"', body)
    assert "<!--[if mso]></td></tr></table>" in body
    assert "PingFang SC" in doc.find("body").get("style")
    for a in doc.iter("a"):
        href = a.get("href")
        assert href.startswith(("https://", "mailto:")), href
    for img in doc.iter("img"):
        assert img.get("alt") is not None and "max-width: 100%" in img.get("style"), (
            lxml_html.tostring(img)
        )
    preheader = doc.xpath("//div[contains(@class, 'preheader')]")[0]
    assert "display: none" in preheader.get("style")
    assert "GLM-VL系列论文解析" in preheader.text_content()
    text = doc.text_content()
    assert "2025年8月24日 · 1 分钟 · pan" in text
    assert "阅读全文" in text and "往期周报" in text and "退订" in text
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "https://pan.example.com/posts/glm-vl/" in hrefs
    assert "https://pan.example.com/digest/" in hrefs
    assert "https://pan.example.com/unsubscribe" in hrefs
    assert [t.text for t in doc.xpath("//span[contains(@class, 'tag')]")] == [
        "多模态",
        "VLM",
        "GLM",
        "强化学习",
        "论文解析",
    ]


def test_text_part_has_titles_and_urls_wrapped(w34: Path):
    msg = parse_eml(w34 / "2025-W34.eml")
    text = body_of(msg, "plain")
    assert (
        text.replace("\r\n", "\n").rstrip()
        == (w34 / "2025-W34.txt").read_text(encoding="utf-8").rstrip()
    )
    assert text.startswith(SUBJECT)
    assert "1. GLM-VL系列论文解析" in text
    assert "2025年8月24日 · 1 分钟 · pan" in text
    assert "阅读全文：https://pan.example.com/posts/glm-vl/" in text
    assert "本期" not in text  # no preheader in the text part
    for line in text.splitlines():
        columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        assert columns <= 80 or "https://" in line, line


def test_long_titles_and_many_tags_wrap_in_the_text_part(blog: Path, run):
    post = blog / "posts" / "glm-vl.md"
    tags = ", ".join(f"标签{n}" for n in range(15))
    text = post.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^title: .*$", "title: " + "超长标题" * 60, text, count=1)
    post.write_text(re.sub(r"(?m)^tags: .*$", f"tags: [{tags}]", text, count=1), encoding="utf-8")
    for n in range(10):  # items 10 and up have a wider number
        write_post(
            blog / "posts",
            f"long{n}.md",
            f"---\ntitle: {'x很长的标题' * 20}\ndate: 2025-08-2{n % 4}\n---\n\n正文。\n",
        )
    assert run("digest", "--week", "2025-W34").exit_code == 0
    part = (blog / "public" / "digest" / "2025-W34.txt").read_text(encoding="utf-8")
    # Eleven posts: every line of every post starts at the same indent, room for "11. ".
    assert (
        "\n1.  超长标题超长标题" in part
        and "\n    标签：标签0、标签1" in part
        and "\n11. x很长的标题" in part
    )
    body = part.split("\n\n", 1)[1].rsplit("\n-- \n", 1)[0]
    assert all(
        line.startswith("    ") or re.match(r"\d+\. +\S", line)
        for line in body.splitlines()
        if line
    )
    for line in part.splitlines():
        columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        assert columns <= 72 or "https://" in line, line


def test_digest_files_are_deterministic(blog: Path, run, tmp_path: Path):
    for out in ("a", "b"):
        assert run("digest", "--week", "2025-W34", "--out", str(tmp_path / out)).exit_code == 0
    for name in ("2025-W34.html", "2025-W34.txt", "2025-W34.eml", "index.html"):
        assert (tmp_path / "a" / "digest" / name).read_bytes() == (
            tmp_path / "b" / "digest" / name
        ).read_bytes()


def test_week_runs_monday_to_sunday_in_the_site_zone(blog: Path, run):
    write_post(
        blog / "posts",
        "sunday-late.md",
        "---\ntitle: 周日深夜\ndate: 2025-08-31 23:59\n---\n正文。\n",
    )
    write_post(
        blog / "posts", "monday.md", "---\ntitle: 周一零点\ndate: 2025-09-01 00:00\n---\n正文。\n"
    )
    # 2025-08-31T16:30Z is Monday 00:30 in Shanghai: next week.
    write_post(
        blog / "posts", "utc.md", "---\ntitle: UTC写的\ndate: 2025-08-31T16:30:00Z\n---\n正文。\n"
    )
    assert run("digest", "--week", "2025-W35").exit_code == 0
    text = (blog / "public" / "digest" / "2025-W35.txt").read_text(encoding="utf-8")
    assert "周日深夜" in text and "周一零点" not in text and "UTC写的" not in text
    assert run("digest", "--latest").exit_code == 0
    text = (blog / "public" / "digest" / "2025-W36.txt").read_text(encoding="utf-8")
    assert "周一零点" in text and "UTC写的" in text


def test_an_empty_week_writes_and_sends_nothing(blog: Path, run, smtp_server):
    recorder, port = smtp_server
    result = run(
        "digest",
        "--week",
        "2025-W30",
        "--send",
        "--to",
        "a@example.com",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-security",
        "none",
    )
    assert result.exit_code == 0
    assert (
        "No posts in 2025-W30" in result.stdout and "nothing written, nothing sent" in result.stdout
    )
    assert not (blog / "public").exists()
    assert recorder.messages == []


def test_custom_range_and_archive_index(blog: Path, run):
    assert run("digest", "--since", "2025-06-01", "--until", "2025-06-30").exit_code == 0
    assert run("digest", "--latest").exit_code == 0
    folder = blog / "public" / "digest"
    text = (folder / "2025-06-01_2025-06-30.txt").read_text(encoding="utf-8")
    assert (
        "Seed-VL系列论文解析" in text
        and "Reinforcement Learning With Vision Language Models" in text
    )
    assert "GLM-VL" not in text
    index = lxml_html.document_fromstring((folder / "index.html").read_text(encoding="utf-8"))
    assert [a.get("href") for a in index.xpath("//ul//a")] == [
        "2025-W34.html",
        "2025-06-01_2025-06-30.html",
    ]
    listed = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert [e["count"] for e in listed] == [1, 2]
    public = (folder / "index.html").read_text(encoding="utf-8")
    assert not re.search(
        r"[\w.+-]+@[\w-]+\.", public
    )  # no addresses in public files (@media is no address)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--week", "2025-W60"], "2025 has no week 60"),
        (["--week", "34"], "expected an ISO week"),
        (["--week", "2025-W34", "--latest"], "choose one of"),
        (["--since", "2025-06-01"], "--since and --until go together"),
        (["--since", "2025-06-30", "--until", "2025-06-01"], "is before --since"),
        (["--to", "a@example.com"], "go with --send"),
        (["--send"], "--send needs --to"),
    ],
)
def test_digest_usage_errors(blog: Path, run, args, message):
    result = run("digest", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_windows_in_the_library():
    site = config.loads('title = "t"\nbase_url = "https://e.com"')
    monday_morning = datetime(2025, 9, 1, 8, 0, tzinfo=SHANGHAI)
    assert digest.last_week(monday_morning, site).name == "2025-W35"
    sunday_night = datetime(2025, 8, 31, 23, 0, tzinfo=SHANGHAI)
    assert digest.last_week(sunday_night, site).name == "2025-W34"
    w1 = digest.iso_week("2026-W01", site)
    assert (w1.start.isoformat(), w1.end.isoformat()) == (
        "2025-12-29T00:00:00+08:00",
        "2026-01-05T00:00:00+08:00",
    )
    assert digest.reading_minutes("字" * 500) == 1 and digest.reading_minutes("字" * 501) == 2
    assert digest.reading_minutes("word " * 214) == 2


# Sending ---------------------------------------------------------------------------------------


def test_send_once_per_recipient_with_their_own_message(blog: Path, run, smtp_server):
    recorder, port = smtp_server
    (blog / "list.txt").write_text(
        "# subscribers\nb@example.com\n\nA@example.com\n", encoding="utf-8"
    )
    result = run(*send_args(port, "--to", "a@example.com", "--to-file", "list.txt"))
    assert result.exit_code == 0, result.output
    assert sorted(recorder.recipients()) == ["a@example.com", "b@example.com"]
    for _, (rcpt,), data in recorder.messages:
        msg = email.message_from_bytes(data, policy=policy.default)
        assert msg["To"] == rcpt and msg["Subject"] == SUBJECT
        https, mailto = [u.strip(" <>") for u in str(msg["List-Unsubscribe"]).split(",")]
        token = digest.address_token(rcpt)
        assert parse_qs(urlsplit(https).query) == {"token": [token]} and re.fullmatch(
            "[0-9a-f]{32}", token
        )
        assert mailto.startswith("mailto:unsubscribe@pan.example.com")
        html = body_of(msg, "html")
        assert f"unsubscribe?token={token}" in html and rcpt not in html.replace(
            f"mailto:{rcpt}", ""
        )
    assert "Sent 2025-W34 to 2 recipients." in result.stdout
    # A second run sends nothing twice.
    again = run(*send_args(port, "--to", "a@example.com", "--to-file", "list.txt"))
    assert again.exit_code == 0
    assert len(recorder.messages) == 2
    assert "Sent 2025-W34 to 0 recipients; 2 already had it." in again.stdout
    ledger = (blog / ".feedtool" / "sent.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(ledger) == 2 and all(json.loads(line)["digest"] == "2025-W34" for line in ledger)


def test_a_second_send_while_one_is_running_stops_and_sends_nothing(blog: Path, run, smtp_server):
    # Two runs at once would each read the ledger before the other wrote to it: everyone twice.
    recorder, port = smtp_server
    lock = blog / ".feedtool" / "sent.jsonl.lock"
    lock.parent.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'ab'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None  # started with stdout=PIPE
    try:
        assert holder.stdout.readline() == "held\n"
        result = run(*send_args(port, "--to", "a@example.com"))
        assert result.exit_code == 2, result.output
        assert "sent.jsonl.lock is in use by another feedtool run" in result.stderr
        assert recorder.recipients() == []
    finally:
        holder.kill()
        holder.wait()
    assert run(*send_args(port, "--to", "a@example.com")).exit_code == 0
    assert recorder.recipients() == ["a@example.com"]


def test_quiet_sending_prints_only_problems(blog: Path, run, smtp_server):
    recorder, port = smtp_server
    recorder.refuse.add("gone@example.com")
    result = run(
        *send_args(
            port, "--to", "a@example.com", "--to", "b@example.com", "--to", "gone@example.com", "-q"
        )
    )
    assert result.exit_code == 1
    assert (
        result.stdout == ""
        and result.stderr == "failed\tgone@example.com\t550 5.1.1 no such user here\n"
    )
    assert sorted(recorder.recipients()) == ["a@example.com", "b@example.com"]


@pytest.mark.parametrize(
    "line, shown",
    [
        ("a@example.com, b@example.com", "'a@example.com, b@example.com'"),
        ("c@example.com; d@example.com", "'c@example.com; d@example.com'"),
        ("u2@example.com.", "'u2@example.com.'"),
        ("e@example.org\u2028f@example.org", r"'e@example.org\u2028f@example.org'"),
        ("g@example.org\u2029h@example.org", r"'g@example.org\u2029h@example.org'"),
        ("i@example.org\x85j@example.org", r"'i@example.org\x85j@example.org'"),
    ],
)
def test_a_recipient_line_that_is_not_one_address_is_an_error(
    blog: Path, run, smtp_server, line: str, shown: str
):
    recorder, port = smtp_server
    (blog / "list.txt").write_text(f"ok@example.com\n{line}\n", encoding="utf-8")
    result = run(*send_args(port, "--to-file", "list.txt"))
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: list.txt:2: not an email address: {shown}"
    assert recorder.recipients() == []


def test_recipient_lines_are_counted_at_line_feeds_only(blog: Path, run, smtp_server):
    """U+2028 and the like end no line of a --to-file: the line named is the one an editor shows."""
    recorder, port = smtp_server
    (blog / "list.txt").write_text(
        "ok@example.com\u2028\u2029\x85\r\nnot an address\n", encoding="utf-8"
    )
    result = run(*send_args(port, "--to-file", "list.txt"))
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "error: list.txt:2: not an email address: 'not an address'"
    assert recorder.recipients() == []


TOKEN_A = digest.address_token("a@example.com")


@pytest.mark.parametrize(
    "base_url, url, link, one_click",
    [
        (
            "https://pan.example.com",
            "https://pan.example.com/退订?list=周报",
            "https://pan.example.com/%E9%80%80%E8%AE%A2?list=%E5%91%A8%E6%8A%A5&token=" + TOKEN_A,
            True,
        ),
        (
            "https://pan.example.com",
            "https://pan.example.com/unsub#form",
            f"https://pan.example.com/unsub?token={TOKEN_A}#form",
            True,
        ),
        (
            "https://博客.example.com",
            "http://pan.example.com/unsub",
            f"http://pan.example.com/unsub?token={TOKEN_A}",
            False,
        ),
    ],
)
def test_unsubscribe_links_and_domains_that_are_not_plain_ascii(
    blog: Path, run, smtp_server, base_url, url, link, one_click
):
    # Headers carry ASCII: a Chinese domain in punycode, a Chinese path %-encoded. The address
    # goes in the query, before a #fragment (which never reaches the server); one-click
    # unsubscribing (List-Unsubscribe-Post) needs https.
    recorder, port = smtp_server
    config = blog / "feedtool.toml"
    text = config.read_text(encoding="utf-8").replace(
        'unsubscribe_url = "https://pan.example.com/unsubscribe"', f'unsubscribe_url = "{url}"'
    )
    config.write_text(
        text.replace('base_url = "https://pan.example.com"', f'base_url = "{base_url}"'),
        encoding="utf-8",
    )
    result = run(*send_args(port, "--to", "a@example.com"))
    assert result.exit_code == 0, result.output
    [(_, _, data)] = recorder.messages
    msg = email.message_from_bytes(data, policy=policy.default)
    assert not msg.defects
    assert str(msg["List-Unsubscribe"]).startswith(f"<{link}>")
    assert (msg["List-Unsubscribe-Post"] is not None) == one_click
    assert f'href="{link.replace("&", "&amp;")}"' in body_of(msg, "html")
    if "博客" in base_url:
        assert str(msg["Message-ID"]).endswith("@xn--9krq6q.example.com>") and "xn--9krq6q" in str(
            msg["List-Id"]
        )
        assert str(msg["List-Archive"]) == "<https://xn--9krq6q.example.com/digest/>"


def test_a_connection_dropped_after_the_whole_message_is_not_sent_again(
    blog: Path, run, smtp_server
):
    # The server had the whole message when it hung up: it may deliver it, so no run sends it again.
    recorder, port = smtp_server
    recorder.drop_data = 1
    to = ("--to", "a@example.com", "--to", "b@example.com", "--to", "c@example.com")
    result = run(*send_args(port, *to))
    assert result.exit_code == 1
    assert recorder.drop_data == 0  # the server did hang up once
    assert "\ta@example.com\t" in result.stderr and "unconfirmed" in result.stderr
    again = run(*send_args(port, *to))
    assert again.exit_code == 0, again.output
    assert sorted(recorder.recipients()) == ["b@example.com", "c@example.com"]
    assert [to for to, _ in recorder.tried].count(["a@example.com"]) == 1


def test_a_permanent_refusal_is_reported_and_the_rest_go_out(blog: Path, run, smtp_server):
    recorder, port = smtp_server
    recorder.refuse.add("gone@example.com")
    result = run(
        *send_args(
            port, "--to", "a@example.com", "--to", "gone@example.com", "--to", "c@example.com"
        )
    )
    assert result.exit_code == 1
    assert sorted(recorder.recipients()) == ["a@example.com", "c@example.com"]
    assert "failed\tgone@example.com\t550 5.1.1 no such user here" in result.stderr


def test_dry_run_sends_nothing(blog: Path, run, smtp_server):
    recorder, port = smtp_server
    assert run(*send_args(port, "--to", "a@example.com")).exit_code == 0
    result = run(*send_args(port, "--to", "a@example.com", "--to", "new@example.com", "--dry-run"))
    assert result.exit_code == 0
    assert (
        "already sent\ta@example.com" in result.stdout
        and "would send\tnew@example.com" in result.stdout
    )
    assert recorder.recipients() == ["a@example.com"]


def test_clear_text_only_to_localhost_and_secrets_never_printed(
    blog: Path, run, monkeypatch, smtp_server
):
    result = run(
        "digest",
        "--week",
        "2025-W34",
        "--send",
        "--to",
        "a@example.com",
        "--smtp-host",
        "smtp.example.com",
        "--smtp-security",
        "none",
    )
    assert result.exit_code == 2 and "only allowed for a relay on this machine" in result.stderr
    assert not (blog / "public").exists()  # settings are checked before anything is written
    recorder, port = smtp_server
    monkeypatch.setenv("FEEDTOOL_SMTP_USER", "pan")
    monkeypatch.setenv("FEEDTOOL_SMTP_PASSWORD", "s3cret-pa55")
    result = run(*send_args(port, "--to", "a@example.com"))
    assert "s3cret-pa55" not in result.output
    assert result.exit_code in (1, 2)  # this test server offers no AUTH


def test_bad_recipient_is_a_clear_error(blog: Path, run):
    (blog / "list.txt").write_text("ok@example.com\nnot an address\n", encoding="utf-8")
    result = run("digest", "--week", "2025-W34", "--send", "--to-file", "list.txt")
    assert result.exit_code == 2
    assert "list.txt:2: not an email address: 'not an address'" in result.stderr


def test_a_letter_too_large_shortens_every_summary_evenly(blog: Path, monkeypatch):
    """Over the size budget every post keeps a summary, all cut to the same length: the longest
    that fits; below the floor the digest is refused."""
    from feedtool.posts import loads
    from feedtool.render import Rendered, html_to_text

    site = config.load(blog / "feedtool.toml")
    window = digest.iso_week("2025-W34", site)
    entries = []
    for number in range(12):
        post = post_of(
            loads(
                f"---\ntitle: 第{number}篇\ndate: 2025-08-2{number % 5}\n---\n\n正文\n",
                site,
                path=f"p{number}.md",
            )
        )
        summary = f"<p>{'很长的摘要，' * (40 + 15 * number)}</p>"
        entries.append(Rendered(post, summary, summary, f"https://pan.example.com/c{number}.png"))

    def cut_to(characters: int) -> digest.Newsletter:
        return digest.Newsletter(
            window,
            whole.subject,
            tuple(
                dataclasses.replace(
                    i, summary_html=render.truncate_html(e.summary_html, characters)
                )
                for i, e in zip(whole.items, entries, strict=True)
            ),
        )

    whole = digest.compose(site, window, entries)
    assert whole.shortened_to is None
    floor, top = digest.html_size(site, cut_to(digest.SUMMARY_FLOOR)), digest.html_size(site, whole)
    for share in (0.1, 0.5, 0.9):
        limit = int(floor + share * (top - floor))
        monkeypatch.setattr(digest, "MAX_HTML_BYTES", limit)
        letter = digest.compose(site, window, entries)
        cut = letter.shortened_to
        assert cut and digest.html_size(site, letter) <= limit
        lengths = [len(html_to_text(i.summary_html)) for i in letter.items]
        originals = [len(html_to_text(e.summary_html)) for e in entries]
        assert all(i.cover for i in letter.items)
        assert all(
            min(whole, cut - 6) <= n <= cut + 1 for n, whole in zip(lengths, originals, strict=True)
        ), lengths
        # A few characters more would not fit.
        assert digest.html_size(site, cut_to(cut + 6)) > limit
    monkeypatch.setattr(digest, "MAX_HTML_BYTES", floor - 1)
    with pytest.raises(digest.DigestError, match="even with summaries of 40 characters"):
        digest.compose(site, window, entries)


def test_a_heavy_week_keeps_every_summary_and_says_so(blog: Path, run):
    """Twenty long Chinese posts: each keeps a summary, the command says they were shortened,
    the HTML stays under the budget, and base64 keeps the message near the text's size."""
    for number in range(20):
        write_post(
            blog / "posts",
            f"heavy{number}.md",
            f"---\ntitle: 长文{number}\ndate: 2025-08-2{number % 4} 10:00\n---\n\n"
            f"{'多模态大模型的训练细节与评测结果分析。' * 400}\n\n<!--more-->\n\n后文。\n",
        )
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 0, result.output
    assert re.search(r"note: every summary shortened to \d+ characters", result.stderr)
    folder = blog / "public" / "digest"
    page = (folder / "2025-W34.html").read_bytes()
    assert len(page) <= digest.MAX_HTML_BYTES
    doc = lxml_html.document_fromstring(page)
    summaries = doc.xpath("//div[contains(@class, 'summary')]")
    assert len(summaries) == 20 and all(len(s.text_content()) >= 40 for s in summaries)
    raw = (folder / "2025-W34.eml").read_bytes()
    parts = list(parse_eml(folder / "2025-W34.eml").iter_parts())
    assert [p["Content-Transfer-Encoding"] for p in parts] == ["base64", "base64"]
    text_size = len(page) + (folder / "2025-W34.txt").stat().st_size
    assert len(raw) < 1.4 * text_size, (len(raw), text_size)


def test_mostly_ascii_parts_stay_quoted_printable():
    assert digest.transfer_encoding("plain ascii\n") == "7bit"
    assert digest.transfer_encoding("<p>" + "ascii text " * 500 + "中文</p>") == "quoted-printable"
    assert (
        digest.transfer_encoding("<head>" + "x" * 3000 + "</head>" + "中文正文" * 2000) == "base64"
    )


# What nh3 before 0.3.7 passes: "<img" inside an attribute value, its quotes escaped but not
# its "<".
OLD_NH3_SUMMARY = (
    '<p><a href="https://pan.example.com/a/" title="<img src=x onmouseover=alert(1)>">链接</a>'
    '<img src="https://pan.example.com/b.png" '
    'title="<img alt=&quot;&quot; onerror=alert(2)>"></p>'
)


def test_img_inside_an_attribute_never_breaks_out(blog: Path, tmp_path: Path):
    """Images are fitted by parsing the summary: an attribute's value stays one value."""
    from feedtool.output import write_files
    from feedtool.posts import loads
    from feedtool.render import Rendered

    site = config.load(blog / "feedtool.toml")
    window = digest.iso_week("2025-W34", site)
    post = post_of(
        loads("---\ntitle: 旧版 nh3\ndate: 2025-08-20\n---\n\n正文\n", site, path="p.md")
    )
    letter = digest.compose(site, window, [Rendered(post, OLD_NH3_SUMMARY, OLD_NH3_SUMMARY)])
    write_files(tmp_path, digest.files(site, letter, datetime(2025, 9, 1, tzinfo=SHANGHAI), None))
    written = (tmp_path / "digest" / "2025-W34.html").read_text(encoding="utf-8")
    eml = body_of(parse_eml(tmp_path / "digest" / "2025-W34.eml"), "html")
    for page in (written, eml):
        doc = lxml_html.document_fromstring(page)
        attributes = {name for element in doc.iter() for name in element.attrib}
        assert not {name for name in attributes if name.startswith("on")}, attributes
        link = doc.xpath("//a[@href='https://pan.example.com/a/']")[0]
        assert link.get("title") == "<img src=x onmouseover=alert(1)>"
        image = doc.xpath("//img[@src='https://pan.example.com/b.png']")[0]
        assert image.get("title") == '<img alt="" onerror=alert(2)>'
        assert (image.get("alt"), image.get("width"), image.get("class")) == ("", None, "fluid")


def test_images_keep_their_own_size_up_to_the_card(blog: Path, run):
    """Local images get width and height from their files, never enlarged; wide ones are scaled
    to the card; a width written in the post wins; an image of unknown size gets none."""
    write_tech_week(blog)
    write_post(
        blog / "posts",
        "sized.md",
        "---\ntitle: 尺寸\ndate: 2025-08-20\n---\n\n"
        '<img src="wide.png" width="300" alt="a"> <img src="https://cdn.example.org/x.png" '
        'alt="b">\n',
    )
    assert run("digest", "--week", "2025-W34").exit_code == 0
    doc = lxml_html.document_fromstring((blog / "public" / "digest" / "2025-W34.html").read_bytes())
    sizes = {
        (img.get("src").rpartition("/")[2], img.get("width"), img.get("height"))
        for img in doc.iter("img")
    }
    assert sizes == {
        ("icon.png", "120", "80"),
        ("wide.png", "552", "310"),
        ("wide.png", "300", "169"),
        ("x.png", None, None),
    }
    for img in doc.iter("img"):
        assert "max-width: 100%" in img.get("style") and "height: auto" in img.get("style")
    style = doc.xpath("//style")[0].text  # phones do not blow images up either
    assert not re.search(r"img[^{}]*\{[^}]*[^-]width: 100%", style), style


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(120, 80), (120, 80)),
        (
            b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08\x01\x2c\x02\x58\x03" + b"\0" * 9,
            (600, 300),
        ),
        (
            b"RIFF\0\0\0\0WEBPVP8X"
            + b"\0" * 8
            + (639).to_bytes(3, "little")
            + (479).to_bytes(3, "little"),
            (640, 480),
        ),
        (b"<svg/>", None),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"\xff\xd8\xff", None),
        (png(3, 2)[:20], None),
        (b"GIF89a\x00\x00\x05\x00", None),
        (b"\xff\xd8\xff\xe0\x00\x00" * 3, None),
    ],
)
def test_image_sizes_are_read_from_headers(data: bytes, size):
    from feedtool.images import size_of_image

    assert size_of_image(data) == size


def _record(name: object, **changes: object) -> dict:
    return {
        "name": name,
        "subject": "周报",
        "label": "标签",
        "count": 1,
        "titles": ["一篇"],
        **changes,
    }


@pytest.mark.parametrize(
    "bad",
    [
        _record(5),
        _record(None),
        _record("javascript:alert(document.domain)//"),
        _record("2025-W34.html#x"),
        _record("2025-W60"),
        _record("2025-08-24_2025-08-18"),
        _record("２０２５-W20"),
        _record(["2025-W20"]),
        _record("2025-W21", count="1"),
        _record("2025-W21", titles="一篇"),
        _record("2025-W21", extra=1),
        _record("2025-W21", subject="\ud800"),
        _record("2025-W21", titles=["\udfff"]),
        _record("2025-W21", label="a\x00b\x1bc"),
        {"name": "2025-W21"},
        "2025-W21",
        None,
    ],
)
def test_a_tampered_archive_record_is_dropped_with_a_warning(blog: Path, run, bad: object):
    """Only records with a week or date-range name, and fields of the right types, are kept."""
    folder = blog / "public" / "digest"
    folder.mkdir(parents=True)
    kept = [
        _record("2025-W20"),
        _record("2025-06-01_2025-06-30", count=2, titles=["<b>甲</b>", "乙"]),
    ]
    (folder / "index.json").write_text(json.dumps([kept[0], bad, kept[1]]), encoding="utf-8")
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 0, result.output
    assert "warning: public/digest/index.json: entry 2 dropped: " in result.stderr
    index = lxml_html.document_fromstring((folder / "index.html").read_text(encoding="utf-8"))
    hrefs = [a.get("href") for a in index.xpath("//a")]
    assert not [h for h in hrefs if "javascript" in h.lower()]
    assert [a.get("href") for a in index.xpath("//ul//a")] == [
        "2025-W34.html",
        "2025-W20.html",
        "2025-06-01_2025-06-30.html",
    ]
    assert "<b>甲</b>、乙" in index.text_content()
    listed = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert listed[1:] == kept
    again = run("digest", "--week", "2025-W34")  # what was written is read back without a warning
    assert again.exit_code == 0 and "warning" not in again.stderr


@pytest.mark.parametrize(
    "damaged", [b"{not json", b'{"name": "2025-W20"}', b"\xff\xfe", b"[" * 100_000]
)
def test_a_damaged_archive_index_is_rebuilt_with_a_warning(blog: Path, run, damaged: bytes):
    folder = blog / "public" / "digest"
    folder.mkdir(parents=True)
    (folder / "index.json").write_bytes(damaged)
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 0, result.output
    assert "warning: public/digest/index.json: " in result.stderr and "rebuilt" in result.stderr
    listed = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in listed] == ["2025-W34"]


WEEKS = [
    "2025-W09",
    "2025-W11",
    "2025-W23",
    "2025-W25",
    "2025-W34",
]  # one post each in the sample blog


def test_digests_of_different_weeks_at_once_all_reach_the_archive(blog: Path):
    """Each run reads, adds to and writes index.json under a lock: none overwrites another's
    entry."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "feedtool", "digest", "--week", week],
            cwd=blog,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for week in WEEKS
    ]
    for process in runs:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
    folder = blog / "public" / "digest"
    listed = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert sorted(e["name"] for e in listed) == WEEKS
    index = lxml_html.document_fromstring((folder / "index.html").read_text(encoding="utf-8"))
    assert sorted(a.get("href") for a in index.xpath("//ul//a")) == [
        f"{week}.html" for week in WEEKS
    ]
    for week in WEEKS:
        assert parse_eml(folder / f"{week}.eml")["Subject"].endswith(f"第 {int(week[-2:])} 周")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_line_separators_in_titles_and_subject_become_spaces_in_headers(
    blog: Path, run, separator: str
):
    """A header is one line: what str.splitlines (and so the email package) breaks at is a space
    there."""
    escaped = f"\\u{ord(separator):04x}"  # as TOML and YAML write it
    settings = {
        "title": f'"pan{escaped}的博客"',
        "subject": f'"{{title}}周报{escaped}· {{label}}{escaped}"',
        "from": f'"pan{escaped}的博客 <newsletter@pan.example.com>"',
        "reply_to": f'"pan{escaped}本人 <pan@pan.example.com>"',
    }
    toml = (blog / "feedtool.toml").read_text(encoding="utf-8")
    for key, value in settings.items():
        # Backslashes doubled: re.sub reads them as escapes in a replacement.
        toml = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}".replace("\\", r"\\"), toml)
    (blog / "feedtool.toml").write_text(toml, encoding="utf-8")
    post = blog / "posts" / "glm-vl.md"
    text = post.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^title: .*$", lambda _: f'title: "GLM{escaped}VL"', text, count=1)
    post.write_text(text, encoding="utf-8")
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 0, result.output
    msg = parse_eml(blog / "public" / "digest" / "2025-W34.eml")
    assert msg["Subject"] == "pan 的博客周报 · 2025 第 34 周"
    assert msg["From"] == "pan 的博客 <newsletter@pan.example.com>"
    assert msg["Reply-To"] == "pan 本人 <pan@pan.example.com>"
    assert msg["List-Id"] == "pan 的博客 <digest.pan.example.com>"
    assert all(len(str(value).splitlines()) == 1 for value in msg.values())
    assert body_of(msg, "plain").split("\r\n")[0] == "pan 的博客周报 · 2025 第 34 周"


def list_unsubscribe_lines(raw: bytes) -> list[bytes]:
    """The List-Unsubscribe header's physical lines in a message's header section."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    start = next(i for i, line in enumerate(head) if line.lower().startswith(b"list-unsubscribe:"))
    end = next(
        (i for i in range(start + 1, len(head)) if head[i][:1] not in (b" ", b"\t")), len(head)
    )
    return head[start:end]


@pytest.mark.parametrize(
    "mailto, url",
    [
        ("unsubscribe@pan.example.com", "https://pan.example.com/u"),
        (
            "unsubscribe-requests-for-the-weekly-digest@newsletter.pan.example.com",
            "https://newsletter.pan.example.com/lists/weekly-digest/unsubscribe?list=weekly&source=email",
        ),
        (
            "list?unsubscribe+weekly@pan.example.com",
            "https://pan.example.com/un",
        ),  # "?" must be %-encoded
    ],
)
def test_list_unsubscribe_is_never_encoded_and_folds_only_after_a_comma(
    blog: Path, run, smtp_server, mailto, url
):
    # RFC 2369 headers hold <URL>s, never RFC 2047 encoded-words (mail clients then find no link).
    recorder, port = smtp_server
    config = blog / "feedtool.toml"
    text = config.read_text(encoding="utf-8").replace(
        '"unsubscribe@pan.example.com"', f'"{mailto}"'
    )
    config.write_text(
        text.replace('"https://pan.example.com/unsubscribe"', f'"{url}"'), encoding="utf-8"
    )
    rcpt = "a-rather-long-subscriber.address@mail.subscriber-domain.example.org"
    result = run(*send_args(port, "--to", rcpt))
    assert result.exit_code == 0, result.output
    [(_, _, sent)] = recorder.messages
    archived = (blog / "public" / "digest" / "2025-W34.eml").read_bytes()
    local, domain = mailto.split("@")
    address = quote(local, safe="!$'()*+,;:") + "@" + domain
    for raw, who in ((sent, rcpt), (archived, None)):
        msg = email.message_from_bytes(raw, policy=policy.default)
        link = (
            url + ("&" if "?" in url else "?") + f"token={digest.address_token(rcpt)}"
            if who
            else url
        )
        subject = f"unsubscribe%20{digest.address_token(rcpt)}" if who else "unsubscribe"
        assert msg["List-Unsubscribe"] == f"<{link}>, <mailto:{address}?subject={subject}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        lines = list_unsubscribe_lines(raw)
        assert all(b"=?" not in line and line.isascii() and len(line) <= 998 for line in lines)
        assert all(
            line.endswith(b",") for line in lines[:-1]
        )  # folded after the comma, nowhere else
        assert [line.strip(b" ,") for line in lines[1:]] == [
            b"<mailto:" + address.encode() + b"?subject=" + subject.encode() + b">"
        ][: len(lines) - 1]


def test_a_display_name_in_unsubscribe_mailto_is_a_config_error(blog: Path, run):
    config = blog / "feedtool.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            '"unsubscribe@pan.example.com"', '"Unsubscribe <unsubscribe@pan.example.com>"'
        ),
        encoding="utf-8",
    )
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (
        "digest.unsubscribe_mailto: expected a bare address such as unsubscribe@example.com"
        in result.stderr
    )
    assert not (blog / "public" / "digest").exists()


@pytest.mark.parametrize(
    "window", [["--week", "9999-W52"], ["--since", "9999-12-30", "--until", "9999-12-31"]]
)
def test_a_window_past_the_calendars_end_is_a_clear_error(blog: Path, run, window: list[str]):
    result = run("digest", *window)
    assert (
        result.exit_code == 2 and "internal error" not in result.output
    )  # as a week that does not exist
    assert "ends after the year 9999" in result.output


def test_a_digest_leaves_nothing_of_its_own_in_the_published_folder(blog: Path, run):
    assert run("digest", "--week", "2025-W34").exit_code == 0
    published = sorted(p.name for p in (blog / "public" / "digest").iterdir())
    assert published == [
        "2025-W34.eml",
        "2025-W34.html",
        "2025-W34.txt",
        "index.html",
        "index.json",
    ]


def test_send_without_a_way_to_unsubscribe_stops_unless_allowed(blog: Path, run, smtp_server):
    """Writing needs no unsubscribe method; sending stops (exit 2, nothing written or sent) and
    says how to add one, unless --allow-no-unsubscribe."""
    recorder, port = smtp_server
    (blog / "feedtool.toml").write_text(
        'title = "朋友们"\nbase_url = "https://pan.example.com"\ntimezone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    result = run(*send_args(port, "--to", "a@example.com"))
    assert result.exit_code == 2
    assert 'unsubscribe_url = "https://pan.example.com/unsubscribe"' in result.stderr
    assert "--allow-no-unsubscribe" in result.stderr and "Traceback" not in result.output
    assert not recorder.tried and not (blog / "public").exists()
    assert run("digest", "--week", "2025-W34").exit_code == 0
    allowed = run(*send_args(port, "--to", "a@example.com", "--allow-no-unsubscribe"))
    assert allowed.exit_code == 0, allowed.output
    msg = email.message_from_bytes(recorder.messages[0][2], policy=policy.default)
    assert msg["List-Unsubscribe"] is None and "退订" not in body_of(msg, "html")
    usage = run("digest", "--week", "2025-W34", "--allow-no-unsubscribe")
    assert usage.exit_code == 2 and "go with --send" in usage.output


@pytest.mark.parametrize("smtputf8", [True, False])
def test_international_addresses(blog: Path, run, smtputf8: bool):
    """An IDN domain goes out in punycode, ASCII on the wire; a non-ASCII local part goes with
    SMTPUTF8 where the server offers it, else that one is listed as not served (exit 1) and the
    others still get theirs."""
    from conftest import SmtpRecorder, running_smtp_server

    recorder = SmtpRecorder()
    with running_smtp_server(recorder, smtputf8=smtputf8) as port:
        result = run(
            *send_args(
                port, "--to", "li@例子.中国", "--to", "李@例子.中国", "--to", "b@example.com"
            )
        )
    assert "Traceback" not in result.output and "internal error" not in result.output
    served = {rcpts[0]: data for _, rcpts, data in recorder.messages}
    ascii_domain = "li@xn--fsqu00a.xn--fiqs8s"
    assert served[ascii_domain].isascii()
    assert (
        email.message_from_bytes(served[ascii_domain], policy=policy.default)["To"] == ascii_domain
    )
    if smtputf8:
        assert result.exit_code == 0, result.output
        msg = email.message_from_bytes(served["李@xn--fsqu00a.xn--fiqs8s"], policy=policy.SMTPUTF8)
        assert msg["To"] == "李@xn--fsqu00a.xn--fiqs8s"
    else:
        assert result.exit_code == 1
        assert sorted(served) == ["b@example.com", ascii_domain]
        assert re.search(r"failed\t李@xn--fsqu00a\.xn--fiqs8s\t.*SMTPUTF8", result.stderr), (
            result.stderr
        )


def test_the_text_part_keeps_what_the_html_shows(blog: Path, run):
    """Links as numbered references under their post, images as [图：alt], code verbatim, tables
    aligned (or the post's link when too wide), and "-- " before the footer."""
    write_tech_week(blog)
    write_post(
        blog / "posts",
        "narrow.md",
        "---\ntitle: 窄表\ndate: 2025-08-24 23:00\n---\n\n"
        "| 名称 | 值 |\n|---|---|\n| a | 二 |\n\n```\ndef f():\n    return 1\n```\n\n"
        "见[文档](https://docs.example.org/x)与[另一处](https://docs.example.org/y) "
        "![小图](icon.png)\n",
    )
    assert run("digest", "--week", "2025-W34").exit_code == 0
    msg = parse_eml(blog / "public" / "digest" / "2025-W34.eml")
    text = body_of(msg, "plain").replace("\r\n", "\n")
    doc = lxml_html.document_fromstring(body_of(msg, "html"))
    missing = {a.get("href") for a in doc.iter("a")} - set(re.findall(r"https?://\S+", text))
    assert not missing
    first = text.split("\n\n2.  ", 1)[0]
    assert (
        "        名称  值\n        ----  --\n        a     二\n" in first
    )  # aligned by display width
    assert "        def f():\n            return 1\n" in first  # verbatim, one step in
    assert "见文档[1]与另一处[2] [图：小图]" in first
    assert "    [1] https://docs.example.org/x\n    [2] https://docs.example.org/y\n" in first
    assert "[表格较宽，见原文]\n    https://pan.example.com/posts/tech-02/" in text
    assert "[3] https://docs.example.org/guide" in text  # numbered on through the message
    assert "\n-- \npan 的博客：" in text
