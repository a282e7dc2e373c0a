"""Hugo, Hexo and Jekyll sites read as their own generators read them: zones, what is
published, summaries, titles, warnings, `init` and a config-less `validate`."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from feedtool import sources
from feedtool.errors import ConfigError


def make_site(root: Path, files: dict[str, str]) -> Path:
    """A site of `files` (path -> text) in `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def entries(root: Path, name: str = "atom.xml") -> dict[str, feedparser.FeedParserDict]:
    parsed = feedparser.parse((root / "public" / name).read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return {entry.title: entry for entry in parsed.entries}


def post(title: str, date: str, extra: str = "", body: str = "正文。") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n\n{body}\n"


HUGO = 'baseURL = "https://h.example/"\ntitle = "H"\n'
HEXO = "title: X\nurl: https://x.example\n"
JEKYLL = "title: J\nurl: https://j.example\n"


# 1. Time zones ------------------------------------------------------------------------------------

def test_hugo_reads_dates_without_a_zone_in_utc_unless_timezone_is_set(tmp_path, monkeypatch, run):
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # Hugo ignores the machine's zone
    root = make_site(tmp_path / "hugo", {
        "hugo.toml": HUGO,
        "content/posts/a.md": post("时间", "2025-08-24T10:00:00"),
        "content/posts/b.md": post("日期", "2025-08-24"),
        "content/posts/c.md": '+++\ntitle = "本地"\ndate = 2025-08-20T09:30:00\n+++\n\n正文。\n',
        "content/posts/d.md": post("带时区", "2025-08-19T10:00:00+08:00"),
    })
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert "timezone" not in result.stderr  # a rule, not a guess: nothing to warn about
    found = entries(root)
    assert found["时间"].published == "2025-08-24T10:00:00+00:00"
    assert found["日期"].published == "2025-08-24T00:00:00+00:00"
    assert found["本地"].published == "2025-08-20T09:30:00+00:00"
    assert found["带时区"].published == "2025-08-19T10:00:00+08:00"
    (root / "hugo.toml").write_text(HUGO + 'timeZone = "America/New_York"\n', encoding="utf-8")
    assert run("build").exit_code == 0
    assert entries(root)["日期"].published == "2025-08-24T00:00:00-04:00"


@pytest.mark.parametrize("kind", ["hexo", "jekyll"])
def test_hexo_and_jekyll_without_timezone_use_the_machine_zone_and_say_so_once(tmp_path, monkeypatch, run, kind):
    monkeypatch.setenv("TZ", "America/New_York")
    posts = "source/_posts/hello.md" if kind == "hexo" else "_posts/2025-08-24-hello.md"
    root = make_site(tmp_path / kind, {
        "_config.yml": HEXO if kind == "hexo" else JEKYLL,
        posts: post("你好", "2025-08-24 10:00:00"),
        **({"scaffolds/post.md": "---\n---\n"} if kind == "hexo" else {}),
    })
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert entries(root)["你好"].published == "2025-08-24T10:00:00-04:00"
    warnings = [line for line in result.stderr.splitlines() if "timezone" in line]
    assert warnings == [f"warning: _config.yml sets no timezone: dates without one are read in America/New_York, "
                        f"the zone of this machine (from TZ), as {kind.title()} does; pin it with "
                        "'timezone: America/New_York' in _config.yml or feedtool.toml"]
    # Pinned in the blog's config: that zone, and no warning.
    (root / "_config.yml").write_text((HEXO if kind == "hexo" else JEKYLL) + "timezone: Asia/Tokyo\n", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0 and "timezone" not in result.stderr
    assert entries(root)["你好"].published == "2025-08-24T10:00:00+09:00"


def test_init_pins_the_machine_zone(tmp_path, monkeypatch, run):
    monkeypatch.setenv("TZ", "Europe/Paris")
    root = make_site(tmp_path / "j", {"_config.yml": JEKYLL, "_posts/2025-08-24-a.md": post("甲", "2025-08-24 10:00")})
    monkeypatch.chdir(root)
    assert run("init").exit_code == 0
    assert 'timezone = "Europe/Paris"' in (root / "feedtool.toml").read_text(encoding="utf-8")
    monkeypatch.setenv("TZ", "UTC")  # built elsewhere later: the zone the blog was written in holds
    result = run("build")
    assert result.exit_code == 0 and "timezone" not in result.stderr
    assert entries(root)["甲"].published == "2025-08-24T10:00:00+02:00"


@pytest.mark.parametrize(("tz", "zone"), [(":Asia/Shanghai", "Asia/Shanghai"), ("CST-8", "Etc/GMT-8"),
                                          ("EST+5", "Etc/GMT+5"), ("UTC0", "UTC"), ("", "UTC"),
                                          ("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo")])
def test_machine_zone_reads_tz_as_the_c_library_does(monkeypatch, tz, zone):
    monkeypatch.setenv("TZ", tz)
    assert sources.machine_zone() == (zone, "TZ")


def test_a_tz_that_names_no_zone_is_a_config_error(tmp_path, monkeypatch, run):
    monkeypatch.setenv("TZ", "Mars/Olympus")
    with pytest.raises(ConfigError, match="TZ environment variable"):
        sources.machine_zone()
    root = make_site(tmp_path / "j", {"_config.yml": JEKYLL, "_posts/2025-08-24-a.md": post("甲", "2025-08-24")})
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 2 and "Mars/Olympus" in result.stderr and "internal error" not in result.stderr


def test_a_plain_folder_keeps_the_configured_zone(blog, monkeypatch, run):
    monkeypatch.setenv("TZ", "America/New_York")
    (blog / "posts" / "zone.md").write_text(post("区", "2025-08-27 10:00"), encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0 and "timezone" not in result.stderr
    assert entries(blog)["区"].published == "2025-08-27T10:00:00+08:00"
