"""The library without the command line: docs/api.md's calls on a real blog, real outputs."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from conftest import checkout_env, write_post

import feedtool
from feedtool import api
from feedtool.errors import ConfigError, FeedtoolError

WEEK = "2025-W34"


def test_the_jobs_run_from_python_without_click(blog: Path):
    """In a fresh interpreter: the documented calls build, check and write a digest, and the
    command line's library (click) is never imported."""
    code = f"""
import json, sys
import feedtool
site = feedtool.load_site()
built = feedtool.build_site(site)
checked = feedtool.validate_posts(site)
made = feedtool.make_digest(site, feedtool.DigestRequest(week={WEEK!r}))
print(json.dumps({{
    "ok": built.ok, "published": len(built.published), "written": sorted(built.files),
    "checked": checked.report.checked, "valid": checked.report.ok,
    "digest": sorted(made.files), "subject": made.letter.subject,
    "click": "click" in sys.modules,
}}, ensure_ascii=False))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=blog, capture_output=True, text=True, env=checkout_env()
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["click"] is False
    assert said["ok"] and said["published"] > 0
    assert {"atom.xml", "rss.xml", "feed.json"} <= set(said["written"])
    assert said["checked"] == len(list((blog / "posts").glob("*.md")))
    assert f"digest/{WEEK}.eml" in said["digest"]
    feed = feedparser.parse((blog / "public" / "atom.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == said["published"]
    message = email.message_from_bytes(
        (blog / "public" / "digest" / f"{WEEK}.eml").read_bytes(), policy=email.policy.default
    )
    assert message["Subject"] == said["subject"]


def test_a_post_with_an_error_is_a_finding_and_nothing_is_written(blog: Path):
    write_post(blog / "posts", "broken.md", "---\ntitle: Broken\ndate: 八月 32, 2025\n---\nText\n")
    site = feedtool.load_site()
    result = feedtool.build_site(site)
    assert not result.ok and not result.files
    assert not (blog / "public" / "atom.xml").exists()
    errors = [d for d in result.report.diagnostics if d.severity == "error"]
    assert [(d.path, d.line, d.code) for d in errors] == [("posts/broken.md", 3, "FT201")]
    checked = feedtool.validate_posts(site, [blog / "posts" / "broken.md"])
    assert checked.report.failed == {str(blog / "posts" / "broken.md")}
    with pytest.raises(api.DigestFailed) as raised:
        feedtool.make_digest(site, feedtool.DigestRequest(week=WEEK))
    assert any(d.code == "FT201" for d in raised.value.report.diagnostics)


def test_a_week_without_posts_writes_nothing(blog: Path):
    site = feedtool.load_site()
    made = feedtool.make_digest(site, feedtool.DigestRequest(week="2031-W01"))
    assert made.letter is None and made.window is not None and made.window.name == "2031-W01"
    assert not (blog / "public" / "digest").exists()


def test_a_bad_config_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "feedtool.toml").write_text('title = "T"\nbase_url = "not a url"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="feedtool.toml:2"):
        feedtool.load_site()


def test_the_digest_is_sent_from_python(blog: Path, smtp_server):
    recorder, port = smtp_server
    site = feedtool.load_site()
    made = feedtool.make_digest(site, feedtool.DigestRequest(week=WEEK))
    assert made.letter is not None
    server = feedtool.smtp_server(site, "127.0.0.1", port, "none")
    delivery = feedtool.plan_delivery(site, server, to=["a@example.com", "b@example.com"])
    outcome = feedtool.send_digest(site, made.letter, delivery)
    assert sorted(outcome.sent) == ["a@example.com", "b@example.com"]
    again = feedtool.send_digest(site, made.letter, delivery)  # the ledger: never twice
    assert not again.sent and sorted(again.skipped) == ["a@example.com", "b@example.com"]
    assert sorted(recorder.recipients()) == ["a@example.com", "b@example.com"]
    received = email.message_from_bytes(recorder.messages[0][2], policy=email.policy.default)
    assert received["Subject"] == made.letter.subject


def test_a_site_is_set_up_from_python(tmp_path: Path):
    write_post(tmp_path / "posts", "a.md", "---\ntitle: A\ndate: 2025-08-24\n---\nText\n")
    site, added = api.init_site(tmp_path)
    assert (site.title, site.base_url) == ("我的博客", "https://example.com")
    assert (tmp_path / "feedtool.toml").is_file() and added
    with pytest.raises(FeedtoolError, match="already exists"):
        api.init_site(tmp_path, title="Another")
