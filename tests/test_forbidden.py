"""Characters XML forbids (C0 controls, U+FFFE/U+FFFF): left out of every output with a warning
for each, reported one by one by validate, removed by validate --fix."""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

import feedparser
from conftest import write_post
from lxml import etree

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Raw U+001B in the front matter (YAML refuses it), an escaped U+0001 in the title, and
# U+0008 twice and U+001B once in the body.
POST = (
    '---\ntitle: "控制\\x01字符"\ndate: 2025-08-22\ntags: [a\x1bb]\n---\n\n'
    "第一\x08段。\n\n第二段\x1b有\x08两个。\n"
)


def test_build_leaves_them_out_of_every_output_with_a_warning_each(blog: Path, run):
    write_post(blog / "posts", "ctl.md", POST)
    result = run("build")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "FT206" in line]
    assert [w.split(": warning")[0] for w in warnings] == [
        "posts/ctl.md:2:8",
        "posts/ctl.md:4:9",
        "posts/ctl.md:7:3",
        "posts/ctl.md:9:4",
        "posts/ctl.md:9:6",
    ]
    for name in ("atom.xml", "rss.xml"):
        data = (blog / "public" / name).read_bytes()
        etree.fromstring(data)  # well-formed: no forbidden character, raw or as a reference
        assert (
            not FORBIDDEN.search(data.decode())
            and b"&#x1b;" not in data.lower()
            and b"&#8;" not in data
        )
    entry = next(
        e for e in feedparser.parse(blog / "public" / "atom.xml").entries if e.title == "控制字符"
    )
    assert "第一段。" in entry.content[0].value and "第二段有两个。" in entry.content[0].value
    assert [t.term for t in entry.tags] == ["ab"]
    feed = json.loads((blog / "public" / "feed.json").read_text(encoding="utf-8"))
    assert not FORBIDDEN.search(json.dumps(feed, ensure_ascii=False))
    assert run("digest", "--week", "2025-W34").exit_code == 0
    message = email.message_from_bytes(
        (blog / "public" / "digest" / "2025-W34.eml").read_bytes(), policy=policy.default
    )
    texts = [part.get_content() for part in message.walk() if not part.is_multipart()]
    assert any("控制字符" in text for text in texts)
    assert not any(FORBIDDEN.search(text) for text in texts)


def test_validate_reports_every_one_and_fix_removes_those_written_as_they_are(blog: Path, run):
    post = write_post(blog / "posts", "ctl.md", POST)
    result = run("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    found = [(d["line"], d["column"]) for d in json.loads(result.stdout) if d["code"] == "FT206"]
    assert found == [(2, 8), (4, 9), (7, 3), (9, 4), (9, 6)]
    fixed = run("validate", "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert "posts/ctl.md:9:4: fixed removed U+001B, which XML forbids" in fixed.stderr
    assert post.read_text(encoding="utf-8") == (
        '---\ntitle: "控制\\x01字符"\ndate: 2025-08-22\ntags: [ab]\n---\n\n第一段。\n\n'
        "第二段有两个。\n"
    )
    again = run("validate", "--format", "json")  # only the escape, which is the author's to rewrite
    assert [(d["line"], d["code"]) for d in json.loads(again.stdout)] == [(2, "FT206")]


def test_a_hostile_number_of_them_is_counted_past_the_first_hundred(blog: Path, run):
    write_post(
        blog / "posts",
        "many.md",
        "---\ntitle: t\ndate: 2025-08-22\n---\n\n" + "\x08" * 5000 + "正文\n",
    )
    result = run("validate", "--format", "json")
    found = [d for d in json.loads(result.stdout) if d["code"] == "FT206"]
    assert len(found) == 101 and "and more" in found[-1]["message"]
