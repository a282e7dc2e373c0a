"""What a command says when it stops after reading the posts: their findings first, then why it
stopped, and nothing of what it did do hidden."""

from __future__ import annotations

import re
from pathlib import Path

WARNING = "warning FT115 unknown key 'autor'"


def _with_a_typo(blog: Path) -> None:
    """A key that looks like a typo of `author`: a warning, never an error."""
    post = blog / "posts" / "deepseek.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r"(?m)^author:", "autor: x\nauthor:", text, count=1), encoding="utf-8")


def test_a_refused_emptying_still_shows_the_findings(blog: Path, run):
    assert run("build", "-q").exit_code == 0
    atom = (blog / "public" / "atom.xml").read_bytes()
    _with_a_typo(blog)
    for post in (blog / "posts").glob("*.md"):
        post.write_text(
            post.read_text(encoding="utf-8").replace("---\n", "---\ndraft: true\n", 1),
            encoding="utf-8",
        )
    result = run("build")
    assert result.exit_code == 1
    assert WARNING in result.stderr
    assert result.stderr.index(WARNING) < result.stderr.index("error: no posts to publish")
    assert (blog / "public" / "atom.xml").read_bytes() == atom


def test_a_hub_that_cannot_be_reached_does_not_hide_the_build(blog: Path, run):
    config = blog / "feedtool.toml"
    config.write_text('hub = "http://127.0.0.1:1/"\n' + config.read_text(encoding="utf-8"))
    result = run("build", "--ping")
    assert result.exit_code == 2
    assert result.stdout.startswith("Built ")
    assert "error: cannot reach hub http://127.0.0.1:1/" in result.stderr
    assert (blog / "public" / "atom.xml").is_file()


def test_a_digest_window_error_comes_after_the_findings(blog: Path, run):
    _with_a_typo(blog)
    for args in (["--week", "2025-W99"], ["--since", "2025-03-09", "--until", "yesterdayish"]):
        result = run("digest", *args)
        assert result.exit_code == 2, args
        assert WARNING in result.stderr, args
        assert result.stderr.index(WARNING) < result.stderr.index("rror"), args
    assert not (blog / "public" / "digest").exists()


def test_send_without_recipients_is_a_usage_error(blog: Path, run):
    result = run("digest", "--week", "2025-W34", "--send", "--allow-no-unsubscribe")
    assert result.exit_code == 2
    assert "Usage:" in result.stderr and "--send needs --to ADDR" in result.stderr
    assert not (blog / "public" / "digest").exists()
