"""What build publishes: bounded by the posts, all or nothing, no temporary files left behind."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from conftest import write_post
from lxml import etree

from feedtool.posts import MAX_TERMS

ATOM = "{http://www.w3.org/2005/Atom}"


def _site(root: Path) -> Path:
    (root / "posts").mkdir(parents=True)
    (root / "feedtool.toml").write_text(
        'title = "界"\nbase_url = "https://b.example.com"\n', encoding="utf-8"
    )
    return root


def _tree_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_a_post_with_thousands_of_terms_gives_bounded_feeds(tmp_path: Path, run, monkeypatch):
    root = _site(tmp_path / "site")
    tags = ", ".join(f"标签{n}" for n in range(3000))
    write_post(
        root / "posts",
        "many.md",
        f"---\ntitle: 很多标签\ndate: 2025-01-01\ntags: [{tags}]\n"
        f"categories: [{tags.replace('标签', '分类')}]\n---\n\n正文。\n",
    )
    write_post(
        root / "posts",
        "few.md",
        "---\ntitle: 少\ndate: 2025-01-02\ntags: [a, b]\ncategories: [c]\n---\n\n正文。\n",
    )
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert (
        "posts/many.md:4:7: warning FT210 3000 tags and 3000 categories: the feeds file the post "
        f"under the first {MAX_TERMS} only (tags first)"
    ) in result.output
    public = root / "public"
    # Terms per entry, in every format, in every feed showing it (the site's and its terms'):
    # the first MAX_TERMS, tags first.
    expected = [f"标签{n}" for n in range(MAX_TERMS)]
    seen = []
    for atom in public.rglob("atom.xml"):
        for entry in (
            etree.parse(str(atom)).getroot().iterfind(f"{ATOM}entry[{ATOM}title='很多标签']")
        ):
            assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == expected, atom
            seen.append(atom.parent)
    for rss in public.rglob("rss.xml"):
        for item in etree.parse(str(rss)).getroot().iterfind("channel/item[title='很多标签']"):
            assert [c.text for c in item.findall("category")] == expected, rss
            seen.append(rss.parent)
    for feed in public.rglob("feed.json"):
        for item in json.loads(feed.read_text(encoding="utf-8"))["items"]:
            if item["title"] == "很多标签":
                assert item["tags"] == expected, feed
                seen.append(feed.parent)
    assert sorted(seen) == sorted([public, *(public / "tags" / tag for tag in expected)] * 3)
    assert feedparser.parse((public / "atom.xml").read_bytes()).entries[1].tags[0].term == "标签0"
    # Feeds for its first MAX_TERMS terms only (here all tags), and the other post's three.
    assert len(list((public / "tags").iterdir())) == MAX_TERMS + 2
    assert sorted(p.name for p in (public / "categories").iterdir()) == ["c"]
    # 3 site feeds, and 3 for each of the 23 channels: some 4 KB each, not 3,000 terms each.
    assert _tree_size(public) < 400_000
    validated = run("validate", "posts")
    assert "posts/many.md:4:7: warning FT210" in validated.output and validated.exit_code == 0


def test_terms_too_long_to_be_tags_are_left_out(tmp_path: Path, run, monkeypatch):
    """20 tags of 20,000 characters on each of 5 posts made hundreds of megabytes of feeds."""
    root = _site(tmp_path / "site")
    huge = ", ".join(f"{n}" + "长" * 20_000 for n in range(20))
    for number in range(5):
        write_post(
            root / "posts",
            f"p{number}.md",
            f"---\ntitle: 长{number}\ndate: 2025-01-0{number + 1}\n"
            f"tags: [{huge}, 短]\n---\n\n正文。\n",
        )
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert (
        "posts/p0.md:4:7: warning FT210 a term of 'tags' over 100 characters is no tag"
        in result.output
    )
    public = root / "public"
    assert (
        _tree_size(public) < 200_000
    )  # the posts' own size, not 5 x 20 x 20,000 characters per feed
    entry = feedparser.parse((public / "atom.xml").read_bytes()).entries[0]
    assert [tag.term for tag in entry.tags] == ["短"]
    assert sorted(p.name for p in (public / "tags").iterdir()) == ["短"]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_a_target_that_cannot_be_written_publishes_nothing(blog: Path, run):
    assert run("build").exit_code == 0
    public = blog / "public"
    before = _outputs(public)
    # Every feed changes (a newer post in every tag, and a new tag, whose folder comes before the
    # last), and the last tag feed cannot be written.
    tags = sorted(p.name for p in (public / "tags").iterdir())
    terms = json.dumps([*tags, "新标签"], ensure_ascii=False)
    write_post(
        blog / "posts",
        "new.md",
        f"---\ntitle: 新\ndate: 2025-12-01\ntags: {terms}\n---\n\n正文。\n",
    )
    blocked = public / "tags" / tags[-1] / "rss.xml"
    blocked.unlink()
    (blocked / "inside").mkdir(parents=True)
    del before[str(blocked.relative_to(public))]
    result = run("build")
    assert result.exit_code == 2, result.output
    assert f"error: cannot write {blocked}: " in result.stderr
    assert _outputs(public) == before
    assert not (public / "tags" / "新标签").exists() and not list(blog.rglob("*.tmp"))
    # Once the folder is gone, the build publishes everything.
    (blocked / "inside").rmdir()
    blocked.rmdir()
    assert run("build").exit_code == 0
    assert feedparser.parse(blocked.read_bytes()).entries[0].title == "新"
    assert feedparser.parse((public / "atom.xml").read_bytes()).entries[0].title == "新"


def _plant(folder: Path, name: str, age: float = 60) -> Path:
    """A temporary file as a run killed `age` seconds ago would have left it."""
    import os
    import time

    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half")
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_temporary_files_killed_runs_left_are_removed(blog: Path, run):
    import os

    posts, public, staging = blog / "posts", blog / "public", blog / ".feedtool-cache" / "staging"
    stale = [
        _plant(posts, ".glm-vl.md.k3j2h1g0.tmp"),
        _plant(posts, ".qwen-vl.md.999999999-abcdefgh.tmp"),
        _plant(staging, ".seed-vl.md.999999999-abcdefgh.tmp"),
    ]
    # A running process's, a file of another tool's, and one for no post: left alone.
    kept = [
        _plant(posts, f".glm-vl.md.{os.getpid()}-abcdefgh.tmp"),
        _plant(posts, ".notes.txt.abcdefgh.tmp"),
        _plant(posts, ".glm-vl.md.tmp"),
    ]
    result = run("validate", "--fix")
    assert result.exit_code == 0, result.output
    assert [path for path in stale if path.exists()] == [] and all(path.exists() for path in kept)
    assert run("build").exit_code == 0
    stale = [
        _plant(public, ".atom.xml.k3j2h1g0.tmp"),
        _plant(public, ".feed.json.999999999-abcdefgh.tmp"),
        _plant(staging, ".atom.xml.999999999-abcdefgh.tmp"),
    ]
    kept = [
        _plant(public, ".index.html.k3j2h1g0.tmp"),
        _plant(public, f".rss.xml.{os.getpid()}-abcdefgh.tmp"),
    ]
    assert run("build").exit_code == 0  # nothing changed: nothing written, but the leftovers go
    assert [path for path in stale if path.exists()] == [] and all(path.exists() for path in kept)


def test_a_build_with_nothing_to_publish_keeps_published_feeds_unless_allowed(blog: Path, run):
    assert run("build").exit_code == 0
    public = blog / "public"
    before = _outputs(public)
    for post in (blog / "posts").glob(
        "*.md"
    ):  # every post becomes a draft (or the folder is emptied)
        text = post.read_text(encoding="utf-8")
        post.write_text(text.replace("\ntitle:", "\ndraft: true\ntitle:", 1), encoding="utf-8")
    result = run("build")
    assert result.exit_code == 1, result.output
    assert (
        "error: no posts to publish (5 files: drafts, future-dated or expired): the feeds in "
        "public/ show entries, and would be emptied and 10 tag and category feeds deleted; nothing "
        "was written (pass --allow-empty to publish empty feeds)"
    ) in result.stderr
    assert _outputs(public) == before
    result = run("build", "--allow-empty")
    assert result.exit_code == 0, result.output
    assert "warning: no posts to publish" in result.stderr
    assert feedparser.parse((public / "atom.xml").read_bytes()).entries == []
    assert not (public / "tags").exists()
    # Once empty, an empty build is no news: it warns and builds.
    result = run("build")
    assert result.exit_code == 0 and "warning: no posts to publish (5 files: " in result.stderr


def test_an_empty_posts_folder_keeps_published_feeds(blog: Path, run, tmp_path: Path):
    assert run("build").exit_code == 0
    before = _outputs(blog / "public")
    (tmp_path / "none").mkdir()
    result = run("build", "--posts", str(tmp_path / "none"))
    assert result.exit_code == 1 and "error: no posts to publish (no posts found)" in result.stderr
    assert _outputs(blog / "public") == before
    assert run("build", "--posts", str(tmp_path / "none"), "--allow-empty").exit_code == 0
    assert json.loads((blog / "public" / "feed.json").read_text(encoding="utf-8"))["items"] == []
    # A new site's first build, with nothing published yet, is not refused.
    assert (
        run("build", "--posts", str(tmp_path / "none"), "--out", str(tmp_path / "fresh")).exit_code
        == 0
    )
