"""The cache and the parallel path change nothing but speed."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from click.testing import CliRunner
from conftest import checkout_env, write_post, write_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedtool import api, catalog, config, engine, parallel, selection, validate
from feedtool import cache as cache_module
from feedtool import feeds as feeds_module
from feedtool import render as render_module
from feedtool.cli import _Progress, cli
from feedtool.errors import FeedtoolError
from feedtool.files import _IDENTITY, changed_ns, identity
from feedtool.output import write_files

OUTPUTS = ("atom.xml", "rss.xml", "feed.json", "digest/2025-W34.eml", "digest/2025-W34.html")


def build_all(run, out: Path) -> dict[str, bytes]:
    assert run("build", "--out", str(out)).exit_code == 0
    assert run("digest", "--week", "2025-W34", "--out", str(out)).exit_code == 0
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def _site(folder: Path | None = None) -> config.Site:
    """A site whose cache is `folder` (None: the default)."""
    return config.loads(
        'title = "t"\nbase_url = "https://a.example"' + (f'\ncache = "{folder}"' if folder else "")
    )


def stat_of(size: int, mtime_ns: int, ctime_ns: int, inode: int) -> bytes:
    """A file's stat `identity`, made up."""
    return _IDENTITY.pack(size, mtime_ns, ctime_ns, inode)


def _reader(site, cache: cache_module.Cache) -> validate.Reader:
    """How a run reads files with `cache` (`engine.Run.read`)."""
    return engine.Run(site, site.posts, cache, None).read


def _save(cache: cache_module.Cache, folder: Path) -> dict[str, bytes]:
    """What the cache writes, written into `folder` as the CLI does."""
    written = cache.to_write()
    write_files(folder, written)
    return written


def _entries(cache: cache_module.Cache) -> dict[str, object]:
    return {path: cache.entry(path) for path in cache.files}


def test_cached_runs_give_the_same_bytes_as_cold_ones(blog: Path, run, tmp_path: Path):
    cold = build_all(run, tmp_path / "cold")
    assert (blog / ".feedtool-cache" / cache_module.BASE).is_file()
    assert build_all(run, tmp_path / "warm") == cold
    # Edit a post: the warm run must see it, and match a cold run of the edited blog.
    post = blog / "posts" / "glm-vl.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("GLM-VL系列论文解析", "GLM-VL 论文解析（修订）"),
        encoding="utf-8",
    )
    warm = build_all(run, tmp_path / "warm2")
    shutil.rmtree(blog / ".feedtool-cache")
    assert build_all(run, tmp_path / "cold2") == warm
    assert b"GLM-VL \xe8\xae\xba" in warm["atom.xml"]


def test_a_base_sealed_early_and_a_later_journal_load_as_one(tmp_path: Path):
    site = _site(tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    stat = stat_of(1, 2, 3, 4)
    for number in range(40):
        cache.store(f"/p{number}.md", stat, f"hash{number}", ("analysis", number), read_ns=10)
    cache.seal()  # as a build does while its helper renders
    cache.store("/late.md", stat, "late", ("analysis", "late"), read_ns=10)
    written = _save(cache, tmp_path / "c")
    assert set(written) == {cache_module.BASE, cache_module.JOURNAL}
    again = cache_module.open_cache(site.cache, site)
    assert _entries(again) == {
        **{f"/p{number}.md": ("analysis", number) for number in range(40)},
        "/late.md": ("analysis", "late"),
    }
    assert again.to_write() == {}  # nothing new: nothing to write


def test_an_output_is_proven_by_its_stat_once_read_back(tmp_path: Path):
    site = _site(tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    cache.record_output("atom.xml", "inputs", b"<feed/>")
    _save(cache, tmp_path / "c")
    again = cache_module.open_cache(site.cache, site)
    stat = stat_of(7, 2, 3, 4)
    assert not again.unchanged_output("atom.xml", "inputs", lambda: b"<feed>changed</feed>", stat)
    assert not again.unchanged_output(
        "atom.xml", "other inputs", lambda: pytest.fail("read for nothing"), stat
    )
    assert not again.unchanged_output(
        "atom.xml", "inputs", lambda: b"<feed/>", None
    )  # not a regular file
    assert again.unchanged_output(
        "atom.xml", "inputs", lambda: b"<feed/>", stat
    )  # read, found as written...
    assert set(_save(again, tmp_path / "c")) == {cache_module.JOURNAL}  # ...and its stat kept
    last = cache_module.open_cache(site.cache, site)
    assert last.unchanged_output("atom.xml", "inputs", lambda: pytest.fail("read again"), stat)
    assert not last.unchanged_output(
        "atom.xml", "inputs", lambda: b"<feed>changed</feed>", stat_of(8, 9, 9, 4)
    )


@pytest.mark.parametrize("writes", [True, False])
def test_a_base_sealed_early_is_written_at_once_when_it_can_be(tmp_path: Path, writes: bool):
    site = _site(tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    written_now: list[str] = []

    def write_now(files: dict[str, bytes]) -> bool:
        if writes:
            write_files(tmp_path / "c", files)
            written_now.extend(files)
        return writes

    cache.write_now = write_now
    for number in range(3):
        cache.store(
            f"/p{number}.md", stat_of(1, 2, 3, 4), f"hash{number}", ("analysis", number), read_ns=10
        )
    cache.seal()  # while the helper renders
    assert written_now == ([cache_module.BASE] if writes else [])
    cache.store("/late.md", stat_of(1, 2, 3, 4), "late", ("analysis", "late"), read_ns=10)
    written = _save(cache, tmp_path / "c")
    assert set(written) == {cache_module.JOURNAL} | (set() if writes else {cache_module.BASE})
    again = cache_module.open_cache(site.cache, site)
    assert _entries(again) == {
        **{f"/p{number}.md": ("analysis", number) for number in range(3)},
        "/late.md": ("analysis", "late"),
    }


def test_rendered_posts_go_in_the_journal_until_there_are_many(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(cache_module, "HTML_JOURNAL_MAX", 2)
    site = _site(tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    cache.store_rendered("k0", ("<p>0</p>", "0", None))
    assert cache_module.HTML in _save(cache, site.cache)  # none yet: written whole
    for number in (1, 2):  # then each run's new ones go in the journal
        cache = cache_module.open_cache(site.cache, site)
        cache.store_rendered(f"k{number}", (f"<p>{number}</p>", str(number), None))
        assert set(_save(cache, site.cache)) == {cache_module.JOURNAL}
    cache = cache_module.open_cache(site.cache, site)
    assert {key: cache.rendered(key) for key in cache.html} == {
        f"k{n}": (f"<p>{n}</p>", str(n), None) for n in range(3)
    }
    cache.store_rendered(
        "k3", ("<p>3</p>", "3", None)
    )  # a third since html.pickle: written whole again
    assert set(_save(cache, site.cache)) == {cache_module.HTML, cache_module.JOURNAL}
    cache = cache_module.open_cache(site.cache, site)
    assert sorted(cache.html) == ["k0", "k1", "k2", "k3"] and cache.html_new == {}
    (site.cache / cache_module.HTML).unlink()  # a journal without its html.pickle adds nothing
    cache = cache_module.open_cache(site.cache, site)
    assert cache.html == {} and cache.rendered("k3") is None


def test_adopted_batches_make_the_base_and_later_changes_win(tmp_path: Path):
    site = _site(tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    stat = stat_of(1, 2, 3, 4)
    # Entries pickled by a helper, as it sends them; one is then stored again, one file is gone.
    gone = tmp_path / "gone.md"
    batch = pickle.dumps({f"/p{n}.md": (stat, f"h{n}", ("from the helper", n)) for n in range(5)})
    assert cache.adopt(batch)["/p1.md"][2] == ("from the helper", 1)
    cache.adopt(pickle.dumps({str(gone): (stat, "g", ("gone", 0))}))
    cache.store("/p3.md", stat, "h3b", ("read again", 3), read_ns=10)
    cache.store("/mine.md", stat, "m", ("read here", 0), read_ns=10)
    written = _save(cache, tmp_path / "c")
    assert set(written) == {cache_module.BASE, cache_module.JOURNAL}
    again = cache_module.open_cache(site.cache, site)
    assert _entries(again) == {
        "/p0.md": ("from the helper", 0),
        "/p1.md": ("from the helper", 1),
        "/p2.md": ("from the helper", 2),
        "/p3.md": ("read again", 3),
        "/p4.md": ("from the helper", 4),
        "/mine.md": ("read here", 0),
        str(gone): ("gone", 0),
    }


def test_a_same_size_same_mtime_edit_is_still_seen(blog: Path, run, tmp_path: Path):
    post = blog / "posts" / "glm-vl.md"
    assert run("build").exit_code == 0
    before = post.stat()
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("GLM-VL系列论文解析", "GLM-XY系列论文解析"), encoding="utf-8")
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert post.stat().st_size == before.st_size
    assert run("build").exit_code == 0
    titles = [
        e.title for e in feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries
    ]
    assert titles[0] == "GLM-XY系列论文解析"


def test_a_stat_taken_too_close_to_a_change_is_not_trusted(tmp_path: Path):
    site = _site(tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    changed = 5_000_000_000
    stat = stat_of(10, changed, changed, 7)
    # Read within RACY_NS of its change: a second edit in that tick could leave the same stat.
    cache.store("/racy.md", stat, "h1", "racy analysis", read_ns=changed + cache_module.RACY_NS - 1)
    cache.store("/old.md", stat, "h2", "old analysis", read_ns=changed + cache_module.RACY_NS)
    paths = ["/racy.md", "/old.md"]
    assert cache.current(paths, paths, [stat, stat]) == [None, "old analysis"]
    _save(cache, tmp_path / "c")
    cache = cache_module.open_cache(site.cache, site)
    assert cache.current(paths, paths, [stat, stat]) == [None, "old analysis"]  # as saved
    # Hashed again later and found unchanged: from then on its stat is proof enough.
    assert cache.refresh("/racy.md", stat, read_ns=10**12) == "racy analysis"
    assert cache.current(paths, paths, [stat, stat]) == ["racy analysis", "old analysis"]
    assert cache.current(paths, paths, [stat_of(11, changed, changed, 7), None]) == [None, None]


def test_a_stat_identity_is_size_times_and_inode(tmp_path: Path):
    made = {
        stat_of(1, 2, 3, 4),
        stat_of(9, 2, 3, 4),
        stat_of(1, 9, 3, 4),
        stat_of(1, 2, 9, 4),
        stat_of(1, 2, 3, 9),
    }
    assert len(made) == 5
    assert (
        changed_ns(stat_of(1, -5, 7, 9)) == 7 and changed_ns(stat_of(1, 8, 7, 9)) == 8
    )  # before 1970 too
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    stat = os.lstat(tmp_path / "a.md")
    assert identity(stat) == stat_of(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    assert changed_ns(identity(stat)) == max(stat.st_mtime_ns, stat.st_ctime_ns)


def test_a_stat_beyond_64_bits_is_kept_whole():
    far = 10_413_792_000 * 10**9  # 2300-01-01 in nanoseconds: past what a signed 64-bit field holds
    for fields in [(1, far, far - 1, 7), (1, 2, 3, 2**64 + 5), (1, -far, -far, 7)]:
        made = identity(
            SimpleNamespace(
                st_size=fields[0], st_mtime_ns=fields[1], st_ctime_ns=fields[2], st_ino=fields[3]
            )
        )
        assert changed_ns(made) == max(fields[1], fields[2])
        assert made != identity(
            SimpleNamespace(
                st_size=2, st_mtime_ns=fields[1], st_ctime_ns=fields[2], st_ino=fields[3]
            )
        )


def test_a_post_dated_on_disk_after_2262_is_built_and_cached(blog: Path, run):
    far = 10_413_792_000 * 10**9
    os.utime(blog / "posts" / "glm-vl.md", ns=(far, far))
    assert run("build").exit_code == 0 and run("validate").exit_code == 0
    post = blog / "posts" / "glm-vl.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("GLM-VL系列论文解析", "GLM-XY系列论文解析"),
        encoding="utf-8",
    )
    os.utime(post, ns=(far, far))  # the same far time, after an edit: the content decides
    assert run("build").exit_code == 0
    assert "GLM-XY系列论文解析" in (blog / "public" / "atom.xml").read_text(encoding="utf-8")


def test_files_past_the_stats_given_are_stat_ed_in_the_lookup(tmp_path: Path):
    site = _site()
    cache = cache_module.open_cache(
        None, site, decode=lambda kept: kept if kept is not None else pytest.fail("no entry")
    )
    paths = [str(tmp_path / name) for name in ("a.md", "b.md", "c.md")]
    for path in paths:
        Path(path).write_text("x", encoding="utf-8")
        cache.store(
            path,
            identity(os.lstat(path)),
            "h",
            f"analysis of {path}",
            read_ns=time.time_ns() + 10**10,
        )
    given = [identity(os.lstat(paths[0]))]  # as a helper took them: the first share only
    assert cache.current(paths, paths, given) == [f"analysis of {path}" for path in paths]
    Path(paths[2]).write_text("changed", encoding="utf-8")
    Path(paths[1]).unlink()
    assert cache.current(paths, paths, given) == [f"analysis of {paths[0]}", None, None]
    assert cache.current(paths, paths, [None]) == [None, None, None]  # what was given is believed
    unknown = [
        str(tmp_path / "not-a-file.md"),
        str(tmp_path / "new.md"),
    ]  # None given for one; neither cached
    assert cache.current(unknown, unknown, [None, given[0]]) == [None, None]


def test_deleted_and_added_posts(blog: Path, run):
    assert run("build").exit_code == 0
    (blog / "posts" / "deepseek.md").unlink()
    write_post(blog / "posts", "new.md", "---\ntitle: 新文章\ndate: 2025-09-01\n---\n\n新的。\n")
    assert run("build").exit_code == 0
    titles = [
        e.title for e in feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries
    ]
    assert titles[0] == "新文章" and "Deepseek系列论文解析" not in titles


def test_corrupt_cache_is_ignored_and_rebuilt(blog: Path, run, tmp_path: Path):
    cold = build_all(run, tmp_path / "cold")
    folder = blog / ".feedtool-cache"
    for name in (cache_module.BASE, cache_module.JOURNAL):
        (folder / name).write_bytes(b"\x80\x05not a pickle at all")
    assert build_all(run, tmp_path / "after") == cold
    site = config.load(blog / "feedtool.toml")
    assert len(engine.open_cache(site).files) == 5  # rewritten and readable again


def test_cache_from_another_version_is_ignored(blog: Path, run, monkeypatch):
    assert run("build").exit_code == 0
    site = config.load(blog / "feedtool.toml")
    assert len(engine.open_cache(site).files) == 5
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    assert engine.open_cache(site).files == {}


def test_cached_errors_are_reported_again(blog: Path, run):
    write_post(blog / "posts", "bad.md", '---\ntitle: t\ndate: "二月 30, 2025"\n---\n正文\n')
    first, second = run("validate"), run("validate")
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout and "FT201" in second.stdout


def test_parallel_and_serial_reading_agree(blog: Path, monkeypatch, forks):
    for number in range(30):
        write_post(
            blog / "posts",
            f"p{number:02d}.md",
            f"---\ntitle: 第{number}篇\ndate: 2025-07-{number % 28 + 1:02d}\ntags: 单个\n---\n\n"
            f"正文{number}。[图](x{number}.png)\n",
        )
    site = config.load(blog / "feedtool.toml")
    files = catalog.collect([site.posts])
    now = datetime(2026, 1, 1, tzinfo=site.zone)
    serial = validate.check(files, site, now=now)
    monkeypatch.setattr(engine, "PARALLEL_MIN", 1)
    monkeypatch.setattr(engine, "CHUNK", 4)  # nine chunks, shared with a forked helper
    read_one = validate.read_one

    def slowly(*args):  # slow enough that the helper surely takes some chunks
        time.sleep(0.003)
        return read_one(*args)

    monkeypatch.setattr(validate, "read_one", slowly)
    two_cores = parallel.cores() >= 2
    in_parallel = validate.check(
        files, site, now=now, read=_reader(site, engine.open_cache(site, False))
    )
    assert forks == ([1] if two_cores else [])
    assert in_parallel == serial
    assert len(serial.posts) == 35 and len(serial.diagnostics) == 60
    # With a cache: the helper's entries are adopted as it pickled them, and the saved cache
    # answers for every file the next time, with the same findings.
    monkeypatch.setattr(
        cache_module, "RACY_NS", 0
    )  # written just now: trusted by their stat all the same
    cache = engine.open_cache(site)
    assert validate.check(files, site, now=now, read=_reader(site, cache)) == serial
    written = _save(cache, site.cache)
    base = written[cache_module.BASE]
    header_size = int.from_bytes(
        base[:4], "little"
    )  # a base: the header's size, the header, the entries
    assert (
        bool(pickle.loads(cache_module.verified(base[4 + header_size :]))["batches"]) == two_cores
    )  # some came from the helper
    warm = engine.open_cache(site)
    assert set(warm.files) == {
        os.path.abspath(f) for f in files if os.path.isfile(f) and not os.path.islink(f)
    }
    monkeypatch.setattr(validate, "read_one", None)  # nothing is read again
    assert validate.check(files, site, now=now, read=_reader(site, warm)) == serial


def test_progress_bar_only_on_a_terminal_after_a_second(capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    progress = _Progress("Reading posts", quiet=False)
    progress.enabled = True  # as on a terminal
    progress(10, 100)
    assert capsys.readouterr().err == ""  # not yet a second
    progress.started -= 2
    progress(50, 100)
    progress.close()
    err = capsys.readouterr().err
    line = "Reading posts [###############...............] 50/100"
    assert err == "\r" + line + "\r" + " " * len(line) + "\r"
    assert not _Progress("x", quiet=True).enabled
    monkeypatch.setenv("CI", "true")
    assert not _Progress("x", quiet=False).enabled


def test_unchanged_feeds_are_not_rebuilt_and_damaged_ones_are(blog: Path, run):
    assert run("build").exit_code == 0
    public = blog / "public"
    deepseek = public / "tags" / "deepseek" / "atom.xml"  # only the DeepSeek post has this tag
    glm = public / "tags" / "glm" / "atom.xml"
    before = {p: p.stat().st_mtime_ns for p in (deepseek, glm, public / "atom.xml")}
    post = blog / "posts" / "glm-vl.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("GLM-VL系列论文解析", "GLM-VL系列论文解析（二）"),
        encoding="utf-8",
    )
    assert run("build").exit_code == 0
    assert deepseek.stat().st_mtime_ns == before[deepseek]  # not touched
    assert glm.stat().st_mtime_ns != before[glm] and "（二）" in glm.read_text(encoding="utf-8")
    assert "（二）" in (public / "atom.xml").read_text(encoding="utf-8")
    deepseek.write_text("damaged by hand", encoding="utf-8")
    (public / "tags" / "moe" / "rss.xml").unlink()
    assert run("build").exit_code == 0
    assert deepseek.read_text(encoding="utf-8").startswith("<?xml")
    assert (public / "tags" / "moe" / "rss.xml").is_file()
    shutil.rmtree(blog / ".feedtool-cache")
    fresh = {p: p.read_bytes() for p in public.rglob("*") if p.is_file()}
    assert run("build", "--out", "again").exit_code == 0
    assert {p: p.read_bytes() for p in (blog / "again").rglob("*") if p.is_file()} == {
        blog / "again" / p.relative_to(public): data for p, data in fresh.items()
    }


def test_unchanged_feeds_are_proven_by_their_stat_once_read_back(blog: Path, run, monkeypatch):
    monkeypatch.setattr(
        cache_module, "RACY_NS", 0
    )  # written just now: trusted by their stat all the same
    assert run("build").exit_code == 0
    assert run("build").exit_code == 0  # read back once, and found as written: their stats are kept
    reads: list[Path] = []
    read_back = engine.read_if_present

    def read_counted(path: Path) -> bytes | None:
        reads.append(path)
        return read_back(path)

    monkeypatch.setattr(engine, "read_if_present", read_counted)
    assert run("build").exit_code == 0
    assert [
        p for p in reads if p.name in ("atom.xml", "rss.xml", "feed.json")
    ] == []  # nothing read
    damaged = blog / "public" / "tags" / "deepseek" / "atom.xml"
    damaged.write_text("damaged by hand", encoding="utf-8")
    assert run("build").exit_code == 0
    assert damaged in reads and damaged.read_text(encoding="utf-8").startswith("<?xml")


def test_validate_keeps_the_rendered_html(blog: Path, run):
    assert run("build").exit_code == 0
    site = config.load(blog / "feedtool.toml")
    rendered = len(engine.open_cache(site).html)
    assert rendered == 5
    post = blog / "posts" / "qwen-vl.md"
    post.write_text(post.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    assert run("validate").exit_code == 0
    assert run("validate", "posts/glm-vl.md").exit_code == 0  # a partial run forgets nothing
    cache = engine.open_cache(site)
    assert len(cache.html) == 5 and len(cache.files) == 5


# Build and digest read only front matter, and check the bodies they render -------------------

TOO_DEEP = (
    "\n".join("  " * level + "- 层" for level in range(210)) + "\n"
)  # FT304: cannot be rendered


def test_a_body_error_stops_build_and_digest_only_when_that_post_is_published(blog: Path, run):
    old = write_post(
        blog / "posts", "old.md", f"---\ntitle: 旧文\ndate: 2001-01-01\n---\n\n{TOO_DEEP}"
    )
    # Not among the newest posts: the feeds and the digest are good, validate still fails.
    build = run("build", "--limit", "2")
    assert build.exit_code == 0, build.output
    assert run("digest", "--week", "2025-W34").exit_code == 0
    validated = run("validate")
    assert validated.exit_code == 1 and "old.md" in validated.stdout and "FT304" in validated.stdout
    # In the feed: the build stops at the body's error, with its place, and writes nothing.
    (blog / "public" / "atom.xml").unlink()
    old.write_text(
        f"---\ntitle: 旧文\ndate: 2099-01-01\npublishDate: 2001-01-01\n---\n\n{TOO_DEEP}",
        encoding="utf-8",
    )
    build = run("build", "--limit", "2")
    assert build.exit_code == 1 and "old.md:6:1: error FT304" in build.stderr
    assert not (blog / "public" / "atom.xml").exists()


def test_a_digest_stops_at_a_body_error_in_its_week(blog: Path, run):
    write_post(blog / "posts", "bad.md", f"---\ntitle: t\ndate: 2025-08-20\n---\n\n{TOO_DEEP}")
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 1 and "bad.md:5:1: error FT304" in result.stderr
    assert not (blog / "public" / "digest" / "2025-W34.eml").exists()


def test_a_cache_written_by_build_still_lets_validate_see_every_body(blog: Path, run):
    write_post(blog / "posts", "old.md", f"---\ntitle: 旧文\ndate: 2001-01-01\n---\n\n{TOO_DEEP}")
    write_post(
        blog / "posts",
        "links.md",
        "---\ntitle: 链接\ndate: 2001-01-02\n---\n\n![图](missing.png)\n",
    )
    assert run("build", "--limit", "2").exit_code == 0  # caches front-matter-only analyses
    site = config.load(blog / "feedtool.toml")
    entry = engine.open_cache(site).entry(str(blog / "posts" / "old.md"))
    assert entry is not None and not entry.complete
    result = run("validate")
    assert (
        result.exit_code == 1
        and "old.md:5:1: error FT304" in result.stdout
        and "links.md:6:6: warning FT303" in result.stdout
    )
    entry = engine.open_cache(site).entry(str(blog / "posts" / "old.md"))
    assert entry is not None and entry.complete
    assert run("build", "--limit", "2").exit_code == 0  # and a complete analysis serves build


def test_a_body_changed_between_reading_and_rendering_is_an_error(blog: Path, monkeypatch):
    site = config.load(blog / "feedtool.toml")
    report = selection.read_posts(
        site, datetime(2026, 1, 1, tzinfo=site.zone), catalog.list_posts(site.posts)
    )
    post = next(p for p in report.posts if p.path.endswith("glm-vl.md"))
    path = Path(post.path)
    path.write_text(
        path.read_text(encoding="utf-8") + "\n后来加的一句。\n", encoding="utf-8"
    )  # front matter unchanged
    with pytest.raises(FeedtoolError, match="changed while feedtool was running"):
        engine.render_many(
            engine.cached_html([post], site, report.digests, engine.open_cache(site, False))[1],
            site,
        )


def test_a_warm_build_repeats_the_body_warnings_of_a_cold_one(blog: Path, run):
    write_post(blog / "posts", "empty.md", "---\ntitle: 空文\ndate: 2025-09-01\n---\n")
    first, second = (
        run("build"),
        run("build"),
    )  # the second rewrites nothing: its feeds are unchanged
    assert first.exit_code == second.exit_code == 0
    assert "posts/empty.md:4:1: warning FT301 empty body" in first.stderr
    assert first.stderr == second.stderr


def test_rendering_with_a_helper_gives_the_same_feeds(blog: Path, run, monkeypatch, tmp_path: Path):
    for number in range(12):
        write_post(
            blog / "posts",
            f"r{number:02d}.md",
            f"---\ntitle: 渲染{number}\ndate: 2025-06-{number + 1:02d}\n---\n\n"
            f"第{number}段，**粗体**和[链接](../x/)。\n\n"
            f"<!--more-->\n\n```python\nprint({number})\n```\n",
        )
    cores = parallel.cores
    monkeypatch.setattr(parallel, "cores", lambda: 1)  # no helper: all rendered here
    assert run("build", "--out", str(tmp_path / "serial")).exit_code == 0
    shutil.rmtree(blog / ".feedtool-cache")  # render everything again
    monkeypatch.setattr(parallel, "cores", cores)
    monkeypatch.setattr(engine, "RENDER_PARALLEL_MIN", 2)
    renderers = tmp_path / "renderers"  # the process id of each render, from whichever process
    real = render_module._render

    def noting(post, site):
        time.sleep(0.003)  # slow enough that the forked renderer surely takes some posts
        with open(renderers, "a") as out:
            out.write(f"{os.getpid()}\n")
        return real(post, site)

    monkeypatch.setattr(render_module, "_render", noting)
    assert run("build", "--out", str(tmp_path / "parallel")).exit_code == 0
    pids = renderers.read_text().split()
    assert len(pids) == 17
    if (
        cores() >= 2
    ):  # the helper that made the feeds, and the process it forked to share the rendering
        assert len(set(pids)) == 2 and str(os.getpid()) not in pids
    for name in ("atom.xml", "rss.xml", "feed.json"):
        assert (tmp_path / "parallel" / name).read_bytes() == (
            tmp_path / "serial" / name
        ).read_bytes()
    assert len(feedparser.parse((tmp_path / "parallel" / "atom.xml").read_bytes()).entries) == 17


def test_feeds_made_on_both_cores_are_those_made_in_one(
    blog: Path, run, monkeypatch, tmp_path: Path
):
    cores = parallel.cores
    monkeypatch.setattr(parallel, "cores", lambda: 1)  # no helper: every feed made here
    assert run("build", "--out", str(tmp_path / "serial")).exit_code == 0
    shutil.rmtree(blog / ".feedtool-cache")
    monkeypatch.setattr(parallel, "cores", cores)
    monkeypatch.setattr(engine, "EACH_PARALLEL_MIN", 2)
    makers = tmp_path / "makers"  # the process id that made each channel's Atom feed
    real = feeds_module.atom

    def noting(*args):
        time.sleep(0.01)  # slow enough that the fork surely takes some channels
        with open(makers, "a") as out:
            out.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(feeds_module, "atom", noting)
    assert run("build", "--out", str(tmp_path / "parallel")).exit_code == 0
    serial = sorted(p.relative_to(tmp_path / "serial") for p in (tmp_path / "serial").rglob("*.*"))
    made = sorted(
        p.relative_to(tmp_path / "parallel") for p in (tmp_path / "parallel").rglob("*.*")
    )
    assert made == serial and len(serial) > 9  # the site's feeds and those of its tags
    for name in serial:
        assert (tmp_path / "parallel" / name).read_bytes() == (
            tmp_path / "serial" / name
        ).read_bytes()
    pids = makers.read_text().split()
    assert len(pids) == sum(1 for name in serial if name.name == "atom.xml")
    if cores() >= 2:  # the helper and the process it forked share the channels
        assert len(set(pids)) == 2 and str(os.getpid()) not in pids


def test_a_post_that_cannot_render_is_reported_from_the_helper_too(blog: Path, run, monkeypatch):
    for number in range(10):
        write_post(
            blog / "posts",
            f"r{number:02d}.md",
            f"---\ntitle: 渲染{number}\ndate: 2025-06-{number + 1:02d}\n---\n\n正文。\n",
        )
    monkeypatch.setattr(engine, "RENDER_PARALLEL_MIN", 2)
    real = render_module._render

    def fails_on_one(post, site):
        if post.title == "渲染3":
            raise RecursionError  # as a body nested too deeply does
        return real(post, site)

    monkeypatch.setattr(render_module, "_render", fails_on_one)
    result = run("build")
    assert result.exit_code == 1
    assert (
        "posts/r03.md:5:1: error FT304 the body is nested too deeply to render as Markdown"
        in result.output
    )
    assert not (blog / "public" / "atom.xml").exists()


@pytest.mark.parametrize(
    "args, libraries, made",
    [
        (["build", "-q"], ["feedgen", "markdown"], "atom.xml"),
        (
            ["digest", "--week", "2025-W34", "-q"],
            ["css_inline", "email.message", "jinja2", "markdown"],
            "digest/2025-W34.eml",
        ),
    ],
)
def test_a_fresh_run_renders_and_writes_in_its_helper(
    blog: Path, args: list[str], libraries: list[str], made: str
):
    # In a new interpreter (the tests' own has every library imported already): the helper's
    # imports work there, and this process never needs the libraries that render and write.
    code = (
        f"import sys; from feedtool import cli; cli.cli.main({args!r}, standalone_mode=False); "
        f"print(sorted(set({libraries!r}) & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=blog, capture_output=True, text=True, env=checkout_env()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([] if parallel.cores() >= 2 else libraries)
    assert (blog / "public" / made).stat().st_size > 1000


@pytest.mark.parametrize("stored_again", [False, True])
def test_a_file_gone_leaves_the_cache_though_its_entry_came_in_a_batch(
    tmp_path: Path, stored_again: bool
):
    site = _site()
    cache = cache_module.open_cache(None, site)
    gone = str(tmp_path / "gone.md")
    cache.adopt(
        pickle.dumps(
            {
                gone: (stat_of(1, 2, 3, 4), "g", ("gone", 0)),
                "/kept.md": (stat_of(1, 2, 3, 4), "k", ("kept", 0)),
            }
        )
    )
    if stored_again:
        cache.store(gone, stat_of(1, 2, 3, 5), "g2", ("stored again", 0), read_ns=10)
    cache.forget_missing({"/kept.md"})
    _save(cache, tmp_path / "c")
    again = cache_module.open_cache(tmp_path / "c", site)
    assert dict(again.files) == {"/kept.md": (stat_of(1, 2, 3, 4), "k", ("kept", 0))}


# ---------------------------------------------------------------- a build's kept choice


def _kept_settings(tag_feeds: bool, out: str = "public", cache: str = ".feedtool-cache") -> str:
    return (
        'title = "t"\nbase_url = "https://a.example"\nfeed_limit = 3\nposts = "posts"\n'
        f'out = "{out}"\n'
        f'cache = "{cache}"\n[tag_feeds]\nenabled = {str(tag_feeds).lower()}\n'
    )


def _kept_post(
    title: str,
    day: int,
    tags: tuple[str, ...],
    slug: str | None,
    draft: bool,
    publish: str | None,
    body: str,
    pad: int,
) -> str:
    """A post; `pad` trailing newlines make every write's size new, so that its stat changes
    even within one tick of the clock (the tests trust stats at once: RACY_NS is 0)."""
    lines = ["---", f"title: {title}", f"date: 2025-08-{day:02d}", f"tags: [{', '.join(tags)}]"]
    lines += (
        [f"slug: {slug}"] * bool(slug)
        + ["draft: true"] * draft
        + [f"publishDate: {publish}"] * bool(publish)
    )
    return "\n".join([*lines, "---", "", body]) + "\n" * pad


_EDITS = st.tuples(
    st.sampled_from(
        [
            "body",
            "title",
            "day",
            "tags",
            "slug",
            "draft",
            "publish",
            "error",
            "body error",
            "new",
            "delete",
            "touch",
            "later",
        ]
    ),
    st.integers(0, 7),
    st.integers(1, 28),
    st.sampled_from([(), ("a",), ("a", "b"), ("b",)]),
)


@settings(
    max_examples=int(os.environ.get("KEPT_EXAMPLES", 12)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(_EDITS, min_size=1, max_size=7), tag_feeds=st.booleans())
def test_a_kept_choice_builds_what_a_cold_build_does(
    tmp_path_factory, monkeypatch, edits, tag_feeds: bool
):
    """After any edits, a build that may reuse its last choice writes, says and exits as a cold
    one does."""
    root = tmp_path_factory.mktemp("kept")
    monkeypatch.chdir(root)
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    clock = [datetime(2025, 9, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))]
    monkeypatch.setattr(
        api, "datetime", SimpleNamespace(now=lambda zone: clock[0].astimezone(zone))
    )
    (root / "feedtool.toml").write_text(_kept_settings(tag_feeds), encoding="utf-8")
    posts: dict[str, dict[str, Any]] = {  # name -> _kept_post's arguments
        f"p{i}.md": dict(
            title=f"标题{i}",
            day=10 + i,
            tags=("a",),
            slug=None,
            draft=False,
            publish=None,
            body=f"正文{i}。",
        )
        for i in range(6)
    }
    runner = CliRunner()

    def write(name: str, step: int) -> None:
        write_post(root / "posts", name, _kept_post(**posts[name], pad=step + 1))

    def outcome(*args: str) -> tuple:
        result = runner.invoke(cli, ["build", *args], catch_exceptions=False)
        out = root / ("public-cold" if args else "public")
        files = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }
        return (
            result.exit_code,
            result.stdout.replace("public-cold/", "public/"),
            result.stderr,
            files,
        )

    for first in posts:
        write(first, 0)
    for step, (kind, number, day, tags) in enumerate(edits, start=1):
        names = sorted(posts)
        name = names[number % len(names)] if names else None
        if kind == "new" or name is None:
            name = f"new{step}.md"
            posts[name] = dict(
                title=f"新{step}",
                day=day,
                tags=tags,
                slug=None,
                draft=False,
                publish=None,
                body="新。",
            )
        elif kind == "delete":
            del posts[name]
            (root / "posts" / name).unlink()
            name = None
        elif kind == "touch":
            os.utime(root / "posts" / name)
            name = None
        elif kind == "later":  # the clock passes a scheduled post's moment, or not
            clock[0] = clock[0].replace(hour=12 + day % 12)
            name = None
        else:
            post = posts[name]
            post.update(
                {
                    "body": {"body": post["body"] + f"更多{step}。"},
                    "title": {"title": f"新标题{step}"},
                    "day": {"day": day},
                    "tags": {"tags": tags},
                    "slug": {"slug": f"s{day % 3}"},  # two posts may share one: an error in both
                    "draft": {"draft": not post["draft"]},
                    "publish": {"publish": f"2025-09-01T{12 + day % 6:02d}:30:00+08:00"},
                    "error": {"title": "[未闭合"},
                    "body error": {
                        "body": post["body"] + "\x01"
                    },  # XML forbids it: an error if the post is shown
                }[kind]
            )
        if name is not None:
            write(name, step)
        warm = outcome()
        # The same settings but for the cache and output folders, which nothing written shows.
        cold = root / "cold.toml"
        cold.write_text(
            _kept_settings(tag_feeds, out="public-cold", cache=f".cold-cache-{step}"),
            encoding="utf-8",
        )
        assert warm == outcome("--config", str(cold)), (step, kind, name)


def _last_cache() -> cache_module.Cache:
    """The cache the last CLI command used."""
    return next(item for item in engine._kept_until_exit if isinstance(item, cache_module.Cache))


def _count_checks(patch: pytest.MonkeyPatch) -> list[int]:
    """Make selection.check, the full check of every post, add an item to the list returned on
    each call."""
    calls: list[int] = []
    real = selection.check

    def counted(*args: Any, **kwargs: Any) -> validate.Report:
        calls.append(1)
        return real(*args, **kwargs)

    patch.setattr(selection, "check", counted)
    return calls


def _newest_post(blog: Path) -> Path:
    entries = feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries
    return blog / "posts" / f"{entries[0].link.rstrip('/').rsplit('/', 1)[-1]}.md"


def test_an_edit_of_a_shown_post_reads_no_other_post_and_no_other_entry(
    blog: Path, run, monkeypatch, tmp_path: Path
):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    assert run("build").exit_code == 0
    post = _newest_post(blog)
    post.write_text(post.read_text(encoding="utf-8") + "\n补充的一句话。\n", encoding="utf-8")
    read: list[str] = []
    read_one = validate.read_one

    def read_counted(item: tuple[int, str, str | None], *args: Any) -> tuple:
        read.append(item[1])
        return read_one(item, *args)

    with monkeypatch.context() as patched:
        patched.setattr(validate, "read_one", read_counted)
        patched.setattr(selection, "check", None)  # no full check
        assert run("build").exit_code == 0
    assert read == [str(post)] and not _last_cache().entries_read
    assert "补充的一句话" in (blog / "public" / "atom.xml").read_text(encoding="utf-8")
    shutil.rmtree(blog / ".feedtool-cache")
    assert run("build", "--out", str(tmp_path / "cold")).exit_code == 0
    assert all(
        (tmp_path / "cold" / name).read_bytes() == (blog / "public" / name).read_bytes()
        for name in OUTPUTS[:3]
    )


def test_an_edit_of_another_post_is_compared_with_its_cache_entry(blog: Path, run, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    with open(blog / "feedtool.toml", "a", encoding="utf-8") as settings:
        settings.write("\n[tag_feeds]\nenabled = false\n")
    assert run("build", "--limit", "2").exit_code == 0
    atom = (blog / "public" / "atom.xml").read_bytes()
    old = blog / "posts" / "deepseek.md"  # not among the 2 newest, which alone are shown
    assert old.stem not in atom.decode()
    old.write_text(
        old.read_text(encoding="utf-8").replace("\n\n", "\n\n一句新话。\n\n", 1), encoding="utf-8"
    )
    monkeypatch.setattr(selection, "check", None)  # the choice holds: no full check
    assert run("build", "--limit", "2").exit_code == 0
    assert _last_cache().entries_read and (blog / "public" / "atom.xml").read_bytes() == atom


@pytest.mark.parametrize("change", ["date: 2020-01-01", "tags: [新标签]", "draft: true"])
def test_an_edit_the_choice_depends_on_makes_a_full_check(
    blog: Path, run, monkeypatch, tmp_path: Path, change: str
):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    assert run("build").exit_code == 0
    post = _newest_post(blog)
    key = change.split(":")[0]
    lines = [
        line
        for line in post.read_text(encoding="utf-8").split("\n")
        if not line.startswith(f"{key}:")
    ]
    post.write_text("\n".join([lines[0], change, *lines[1:]]), encoding="utf-8")
    with monkeypatch.context() as patched:
        checks = _count_checks(patched)
        assert run("build").exit_code == 0 and checks == [1]
    shutil.rmtree(blog / ".feedtool-cache")
    assert run("build", "--out", str(tmp_path / "cold")).exit_code == 0
    assert all(
        (tmp_path / "cold" / name).read_bytes() == (blog / "public" / name).read_bytes()
        for name in OUTPUTS[:3]
    )


def test_a_listing_is_kept_while_its_folders_are_unchanged(tmp_path: Path, monkeypatch):
    from feedtool.cache import dump_listing, kept_listing
    from feedtool.files import PostFiles, post_files

    def dumped(listing: PostFiles) -> bytes:
        """`listing` (one listed now) as the cache keeps it."""
        proven = engine._proven(listing)
        assert proven is not None
        return dump_listing(proven)

    for name in ("a.md", "sub/b.md", "sub/deeper/c.md"):
        write_post(tmp_path / "posts", name, "---\ntitle: t\ndate: 2025-08-24\n---\n正文\n")
    listing = post_files(tmp_path / "posts", 0)
    assert [path for path, _ in listing.folders] == [
        str(tmp_path / "posts"),
        str(tmp_path / "posts" / "sub"),
        str(tmp_path / "posts" / "sub" / "deeper"),
    ]
    kept = tmp_path / "listing.marshal"
    # Listed just now: a folder changed in the same tick could change again unseen, so not proven.
    kept.write_bytes(dumped(listing))
    assert kept_listing(kept, tmp_path / "posts") is None
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    kept.write_bytes(dumped(listing))
    found = kept_listing(kept, tmp_path / "posts")
    assert found is not None and found.files == listing.files
    assert kept_listing(kept, tmp_path / "other") is None  # another folder
    write_post(
        tmp_path / "posts", "sub/deeper/d.md", "---\ntitle: t\ndate: 2025-08-24\n---\n正文\n"
    )
    assert kept_listing(kept, tmp_path / "posts") is None  # a name added in a folder deep down
    kept.write_bytes(dumped(post_files(tmp_path / "posts", 0)))
    (tmp_path / "posts" / "sub" / "b.md").rename(tmp_path / "posts" / "sub" / "e.md")
    assert kept_listing(kept, tmp_path / "posts") is None  # renamed
    for damaged in (b"", b"\x00garbage", kept.read_bytes()[:-7]):
        kept.write_bytes(damaged)
        assert kept_listing(kept, tmp_path / "posts") is None


def test_a_damaged_kept_choice_or_listing_is_ignored(blog: Path, run, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    cold = build_all(run, tmp_path / "cold")
    folder = blog / ".feedtool-cache"
    # Garbage, half a file, and a file whose bytes changed where they still read: a post's name in
    # the listing, a title in the choice (each file holds a hash of its content).
    for name, damage, good_text, bad_text in (
        (cache_module.SELECTION, b"\x80\x05garbage", b"GLM-VL", b"GLM-VX"),
        ("listing.marshal", b"\xff\x00garbage", b"glm-vl.md", b"glm-vx.md"),
    ):
        good = (folder / name).read_bytes()
        assert good_text in good
        for data in (damage, good[: len(good) // 2], good.replace(good_text, bad_text)):
            (folder / name).write_bytes(data)
            assert build_all(run, tmp_path / "after") == cold
            assert (folder / name).read_bytes() != data  # written again


def test_a_failed_build_between_does_not_hide_an_error_from_the_kept_choice(
    blog: Path, run, monkeypatch
):
    # The failed build stores the broken post's entry; the next one must not take that entry for
    # what the post said when the choice was made.
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    with open(blog / "feedtool.toml", "a", encoding="utf-8") as settings:
        settings.write("\n[tag_feeds]\nenabled = false\n")
    assert run("build", "--limit", "2").exit_code == 0
    old = blog / "posts" / "deepseek.md"
    text = old.read_text(encoding="utf-8").replace("date:", "date: 二月 30, 2025\nwas:", 1)
    old.write_text(text, encoding="utf-8")
    assert run("build", "--limit", "2").exit_code == 1
    old.write_text(text + "\n又一句。\n", encoding="utf-8")
    again = run("build", "--limit", "2")
    assert again.exit_code == 1 and "FT201" in again.stderr


def _shown_old_post_made_newest(blog: Path) -> Path:
    """Tag feeds off, 2 entries a feed; deepseek.md (not shown) becomes the newest post."""
    with open(blog / "feedtool.toml", "a", encoding="utf-8") as settings:
        settings.write("\n[tag_feeds]\nenabled = false\n")
    return blog / "posts" / "deepseek.md"


def test_a_validate_between_does_not_hide_a_change_from_the_kept_choice(
    blog: Path, run, monkeypatch
):
    # validate stores the post's new entry; the next build must still see that the choice changed.
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    old = _shown_old_post_made_newest(blog)
    assert run("build", "--limit", "2").exit_code == 0
    lines = [
        line for line in old.read_text(encoding="utf-8").split("\n") if not line.startswith("date:")
    ]
    old.write_text("\n".join([lines[0], "date: 2030-01-01", *lines[1:]]), encoding="utf-8")
    assert run("validate").exit_code == 0
    assert run("build", "--limit", "2").exit_code == 0
    future = [e.link for e in feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries]
    assert not any(
        "deepseek" in link for link in future
    )  # 2030: future-dated, so out of the feed...
    old.write_text("\n".join([lines[0], "date: 2025-09-30", *lines[1:]]), encoding="utf-8")
    assert run("validate").exit_code == 0
    assert run("build", "--limit", "2").exit_code == 0
    newest = feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries[0]
    assert "deepseek" in newest.link  # ...then the newest


@pytest.mark.parametrize("spelling", ["--posts", "--config"])
def test_a_kept_choice_names_posts_as_this_run_does(blog: Path, run, monkeypatch, spelling: str):
    # Entries stored under one spelling of the posts' paths, the choice kept under another.
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    assert run("build").exit_code == 0
    if spelling == "--posts":
        args = ["--posts", "posts"]
    else:
        (blog / "sub").mkdir()
        monkeypatch.chdir(blog / "sub")
        args = ["--config", "../feedtool.toml"]
    first, second = run("build", *args), run("build", *args)
    assert first.exit_code == second.exit_code == 0 and first.stdout == second.stdout
    post = _newest_post(blog)
    post.write_text(post.read_text(encoding="utf-8") + "\n又一句。\n", encoding="utf-8")
    assert run("build", *args).exit_code == 0 and not _last_cache().entries_read
    assert "又一句" in (blog / "public" / "atom.xml").read_text(encoding="utf-8")


def test_a_link_listed_by_what_it_points_to_keeps_no_listing(
    blog: Path, run, monkeypatch, tmp_path: Path
):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    (tmp_path / "elsewhere").mkdir()
    (blog / "posts" / "linked").symlink_to(
        tmp_path / "elsewhere"
    )  # a folder: listed, to warn (FT105)
    assert "FT105" in run("build").stderr
    (tmp_path / "elsewhere").rmdir()
    (tmp_path / "elsewhere").write_text(
        "now a file", encoding="utf-8"
    )  # the posts folder's stat is as it was
    assert "FT105" not in run("build").stderr


def test_a_cover_added_beside_a_hugo_bundle_rebuilds_its_feeds(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "H"\n', encoding="utf-8"
    )
    for number in range(1, 4):
        write_post(
            tmp_path / "content" / "posts" / f"b{number}",
            "index.md",
            f"---\ntitle: B{number}\ndate: 2024-01-0{number}T10:00:00+00:00\n---\n正文。\n",
        )
    assert run("build").exit_code == 0
    assert "cover.jpg" not in (tmp_path / "public" / "feed.json").read_text(encoding="utf-8")
    (tmp_path / "content" / "posts" / "b3" / "cover.jpg").write_bytes(b"\xff\xd8")
    assert run("build").exit_code == 0
    assert "b3/cover.jpg" in (tmp_path / "public" / "feed.json").read_text(encoding="utf-8")


def test_files_read_too_soon_after_a_change_are_compared_by_content(blog: Path, run, monkeypatch):
    # Every post was written just now, so no stat proves any of them unchanged: each is read
    # again, and compared with the entry of the content the choice saw.
    old = _shown_old_post_made_newest(blog)
    assert run("build", "--limit", "2").exit_code == 0
    checks = _count_checks(monkeypatch)
    for sentence in ("一句。", "又一句。"):
        old.write_text(old.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
        assert run("build", "--limit", "2").exit_code == 0
    assert checks == []
    old.write_text(
        old.read_text(encoding="utf-8").replace("date:", "date: 2025-09-30\nwas:", 1),
        encoding="utf-8",
    )
    assert run("build", "--limit", "2").exit_code == 0 and checks == [1]
    assert (
        "deepseek" in feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries[0].link
    )


class _Planted:
    """Unpickling this creates the file it names: what a crafted cache could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_cache_that_came_with_the_blog_is_never_unpickled(blog: Path, run, tmp_path: Path):
    """A .feedtool-cache/ from a pull request, even one made by feedtool on another machine,
    reads as no cache: nothing in it runs, and the feeds are built as without it."""
    import marshal
    import pickle

    assert run("build", "--out", "fresh").exit_code == 0
    cache = blog / ".feedtool-cache"
    other_machine = {path.name: path.read_bytes() for path in cache.iterdir() if path.is_file()}
    assert {"posts.pickle", "journal.pickle", "selection.pickle", "listing.marshal"} <= set(
        other_machine
    )
    markers = []
    for name in other_machine:
        markers.append(tmp_path / f"ran-{name}")
        evil = pickle.dumps(_Planted(markers[-1]))
        payload = (
            marshal.dumps((3, "x", []))
            if name.endswith(".marshal")
            else len(evil).to_bytes(4, "little") + evil + evil
            if name == "posts.pickle"
            else evil
        )
        (cache / name).write_bytes(payload)
    built = run("build")
    assert built.exit_code == 0, built.output
    assert not [marker for marker in markers if marker.exists()]
    for name in ("atom.xml", "rss.xml", "feed.json"):
        assert (blog / "public" / name).read_bytes() == (blog / "fresh" / name).read_bytes()

    # Signed with another user's key: ignored all the same, and replaced by this user's.
    for name, data in other_machine.items():
        (cache / name).write_bytes(data)
    site = config.load(blog / "feedtool.toml")
    assert engine.open_cache(site).base_id != ""  # this user's key reads it
    home = os.environ["XDG_CACHE_HOME"]
    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "another-user")
    cache_module._cache_key = None
    try:
        other = engine.open_cache(site)
        assert (other.base_id, other.kept) == ("", None)
    finally:
        os.environ["XDG_CACHE_HOME"] = home
        cache_module._cache_key = None


def test_a_change_to_feedtools_own_code_makes_a_new_cache(tmp_path: Path):
    """No format number to bump by hand: the cache's key holds every module and template file of
    the feedtool that runs, so an edited (or upgraded) copy never reads the old one's analyses."""
    copy = tmp_path / "site-packages"
    shutil.copytree(
        Path(cache_module.__file__).parent,
        copy / "feedtool",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    key = (
        "import sys; from feedtool import cache, config; "
        'print(cache.fingerprint(config.loads(\'title = "t"\\nbase_url = "https://e.com"\')))'
    )

    def fingerprint() -> str:
        return subprocess.run(
            [sys.executable, "-c", key],
            env={**os.environ, "PYTHONPATH": str(copy)},
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout

    before = fingerprint()
    assert before == fingerprint()
    with open(copy / "feedtool" / "render.py", "a", encoding="utf-8") as module:
        module.write("\n# a change\n")
    edited = fingerprint()
    assert edited != before
    with open(
        copy / "feedtool" / "templates" / "digest.html.j2", "a", encoding="utf-8"
    ) as template:
        template.write("\n")
    assert fingerprint() not in (before, edited)


# ---------------------------------------------------------------- what the cache's key holds


def test_an_edit_to_feedtool_itself_is_never_served_from_the_cache(tmp_path: Path):
    """An installed copy whose source changes, with its size and mtime as they were (as a
    reinstall of another build can leave them), analyzes the posts anew."""
    package = Path(cache_module.__file__).parent
    installed = tmp_path / "lib" / "feedtool"
    shutil.copytree(package, installed, ignore=shutil.ignore_patterns("__pycache__"))
    blog = tmp_path / "blog"
    write_site(
        blog,
        {
            "feedtool.toml": 'title = "T"\nbase_url = "https://t.example"\n',
            "posts/empty.md": "---\ntitle: Empty\ndate: 2025-08-24\n---\n",
        },
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib"), "PYTHONDONTWRITEBYTECODE": "1"}

    def validate_output() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "feedtool", "validate"],
            cwd=blog,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "FT301 empty body" in validate_output()
    assert (blog / ".feedtool-cache").is_dir()
    module = installed / "validate.py"
    before = module.stat()
    source = module.read_bytes()
    assert source.count(b'"empty body"') == 1
    module.write_bytes(source.replace(b'"empty body"', b'"EMPTY BODY"'))
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (module.stat().st_size, module.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    assert "FT301 EMPTY BODY" in validate_output()


def _another(value: Any) -> Any:
    """A value of the same type as `value`, but different."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, Path):
        return value / "x"
    if isinstance(value, tuple):
        return (*value, "x")
    assert dataclasses.is_dataclass(value) and not isinstance(value, type)
    first = dataclasses.fields(value)[0].name
    return dataclasses.replace(value, **{first: _another(getattr(value, first))})


def test_every_setting_a_post_may_read_is_in_the_cache_key():
    """A new setting is part of the key unless it is named as one no analysis or rendering reads."""
    site = config.loads('title = "T"\nbase_url = "https://t.example"')
    unread = set(cache_module._UNREAD_SETTINGS)
    assert unread < {f.name for f in dataclasses.fields(site)}
    for f in dataclasses.fields(site):
        changed = dataclasses.replace(site, **{f.name: _another(getattr(site, f.name))})
        same = cache_module.fingerprint(changed) == cache_module.fingerprint(site)
        assert same == (f.name in unread), f.name
