"""Differential tests: the same small Hugo, Jekyll and Hexo sites built by the real generators and
by `feedtool build` (no feedtool.toml), compared entry by entry: which posts, their permalinks,
publication instants in UTC and titles. `make generators` installs the generators (CI runs it);
without them these tests fail and say so. Cases marked xfail are rules of issue 18 not done yet."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest

from conftest import REPO, checkout_env

HEXO = REPO / "tests" / "generators" / "hexo"
INSTALL = "run `make generators` (tests/generators/install.sh) to install it"
BASE = "https://ex.com"
# What each generator writes its main feed to, under its output folder.
FEEDS = {"hugo": "index.xml", "jekyll": "feed.xml", "hexo": "atom.xml"}


@dataclass(frozen=True)
class Entry:
    """What a reader sees of one feed entry."""

    published: datetime  # in UTC
    title: str


def shown_title(detail: feedparser.FeedParserDict) -> str:
    """A title as a reader shows it: an HTML title's text, a plain title as it is."""
    text = detail.get("value", "")
    if detail.get("type") == "text/html":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return " ".join(text.split())


def entries(feed: Path) -> dict[str, Entry]:
    """A feed's entries by permalink."""
    parsed = feedparser.parse(feed.read_bytes())
    assert not parsed.bozo, f"{feed}: {parsed.get('bozo_exception')}"
    found: dict[str, Entry] = {}
    for item in parsed.entries:
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        assert stamp, f"{feed}: entry {item.get('link')} has no date"
        found[item.link] = Entry(datetime(*stamp[:6], tzinfo=timezone.utc), shown_title(item.title_detail))
    return found


def write_site(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def hexo_package() -> str:
    """A Hexo blog's package.json naming the locked Hexo and plugins (as `hexo init` writes one)."""
    deps = json.loads((HEXO / "package.json").read_text(encoding="utf-8"))["dependencies"]
    return json.dumps({"name": "blog", "version": "0.0.0", "private": True,
                       "hexo": {"version": deps["hexo"]}, "dependencies": deps})


def env_for(tz: str) -> dict[str, str]:
    """The environment both tools run in: the machine zone `tz`, a UTF-8 locale."""
    return {**checkout_env(), "TZ": tz, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "JEKYLL_ENV": "production"}


def generator_command(kind: str, out: Path) -> list[str]:
    """The command that builds the site in the working folder into `out`; fails if not installed."""
    if kind == "hexo":
        hexo = HEXO / "node_modules" / ".bin" / "hexo"
        if not hexo.exists():
            pytest.fail(f"Hexo is not installed in {HEXO}: {INSTALL}")
        return [str(hexo), "generate", "--silent"]
    if shutil.which(kind) is None:
        pytest.fail(f"{kind} is not installed: {INSTALL}")
    if kind == "hugo":
        return ["hugo", "--quiet", "--destination", str(out)]
    return ["jekyll", "build", "--quiet", "--disable-disk-cache", "--destination", str(out)]


def generator_feed(kind: str, site: Path, tz: str) -> Path:
    """Build `site` with the real generator in machine zone `tz`; the path of its feed."""
    out = site / "public" if kind == "hexo" else site.parent / f"{kind}-out"
    if kind == "hexo":
        (site / "node_modules").symlink_to(HEXO / "node_modules", target_is_directory=True)
    command = generator_command(kind, out)
    done = subprocess.run(command, cwd=site, env=env_for(tz), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{kind} failed ({INSTALL} if it is missing):\n{done.stdout}\n{done.stderr}"
    return out / FEEDS[kind]


def feedtool_feed(site: Path, tz: str) -> Path:
    """Build `site` with `feedtool build` in machine zone `tz`; the path of its Atom feed."""
    out = site.parent / "feedtool-out"
    done = subprocess.run([sys.executable, "-m", "feedtool", "build", "--out", str(out)], cwd=site,
                          env=env_for(tz), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"feedtool build failed:\n{done.stdout}\n{done.stderr}"
    return out / "atom.xml"


def build_both(tmp_path: Path, kind: str, files: dict[str, str], tz: str = "UTC"
               ) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """Build one site with its generator and with feedtool, each in a copy of its own:
    (the generator's entries, feedtool's entries)."""
    if kind == "hexo":
        files = {"package.json": hexo_package(), **files}
    source = write_site(tmp_path / "site", files)
    shutil.copytree(source, tmp_path / "gen" / "site")
    shutil.copytree(source, tmp_path / "ft" / "site")
    theirs = entries(generator_feed(kind, tmp_path / "gen" / "site", tz))
    ours = entries(feedtool_feed(tmp_path / "ft" / "site", tz))
    assert theirs, f"{kind} published no entry: the site is not what the test means"
    return theirs, ours


def assert_same(theirs: dict[str, Entry], ours: dict[str, Entry]) -> None:
    """The same posts at the same permalinks, instants and titles; a readable difference if not."""
    assert sorted(ours) == sorted(theirs), "the posts or their permalinks differ"
    for link, entry in theirs.items():
        assert ours[link] == entry, f"{link}: generator {entry}, feedtool {ours[link]}"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# ---- Hugo ----------------------------------------------------------------------------------------

HUGO_CONFIG = 'baseURL = "https://ex.com/"\ntitle = "Blog"\nlanguageCode = "zh-cn"\n'


def hugo_post(title: str, date: str, extra: str = "", body: str = "正文。\n") -> str:
    return f'---\ntitle: "{title}"\ndate: {date}\n{extra}---\n{body}'


def test_hugo_dates_with_zones(tmp_path: Path):
    files = {"hugo.toml": HUGO_CONFIG,
             "content/posts/first.md": hugo_post("First", "2024-03-01T10:00:00+08:00"),
             "content/posts/second.md": hugo_post("Second", "2024-03-02T23:30:00-05:00"),
             "content/posts/third.md": hugo_post("Third", "2024-03-03T00:15:00Z")}
    theirs, ours = build_both(tmp_path, "hugo", files, tz="Asia/Shanghai")
    assert theirs[f"{BASE}/posts/second/"] == Entry(utc(2024, 3, 3, 4, 30), "Second")
    assert_same(theirs, ours)
