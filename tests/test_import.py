"""`feedtool import`: posts from a saved list page (text or HTML) or a feed (RSS, Atom, JSON Feed).

Inputs are real: the sample site's saved list page, a PaperMod list page, and the feeds that
`feedtool build` writes for the sample blog; outputs are read back with feedtool's own post
reader, checked with `feedtool validate`, and rebuilt into feeds read by feedparser.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import feedparser
import pytest
from conftest import REPO, SHARED, front_matter_of, post_of
from hypothesis import given, settings
from hypothesis import strategies as st

from feedtool import api, config, importer, posts, render
from feedtool.files import find

SEED = SHARED / "seed" / "000_9531becea8289120.txt"
PAPERMOD = Path(__file__).parent / "data" / "papermod-list.html"
SITE = config.load(REPO / "feedtool.toml")
# The sample posts' files, named as the links of the HTML page name them.
REPO_POSTS = {
    name: posts.load(REPO / "posts" / f"{name}.md", SITE)
    for name in ("glm-vl", "rl-with-vlm", "seed-vl", "qwen-vl", "deepseek")
}


def _words(text: str) -> str:
    return " ".join(text.split())


def _read_folder(folder: Path) -> dict[str, posts.Loaded]:
    return {Path(path).stem: posts.load(path, SITE) for path in find(folder)}


def _assert_same_posts(imported: dict[str, posts.Loaded], by_title: bool = False) -> None:
    """Same titles, dates as written, authors and (whitespace-normalized) bodies as posts/*.md."""
    originals = (
        {post_of(loaded).title: loaded for loaded in REPO_POSTS.values()}
        if by_title
        else REPO_POSTS
    )
    mine = {post_of(loaded).title: loaded for loaded in imported.values()} if by_title else imported
    assert sorted(mine) == sorted(originals)
    for key, original in originals.items():
        new = mine[key]
        assert new.diagnostics == [], new.diagnostics
        post, before = post_of(new), post_of(original)
        assert post.title == before.title
        assert front_matter_of(new).texts["date"] == front_matter_of(original).texts["date"]
        assert post.date == before.date
        assert post.author == before.author == "pan"
        assert _words(post.body) == _words(before.body)


# --------------------------------------------------------------------------- list pages


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seed is absent")
def test_seed_list_page_recreates_the_five_posts(blog: Path, run):
    result = run("import", str(SEED), "--into", "imported")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "wrote imported/glm-vl.md: GLM-VL系列论文解析 (八月 24, 2025)"
    assert lines[-1] == "Imported 5 posts into imported/ (0 skipped)."
    imported = _read_folder(blog / "imported")
    # No links on a text page: names come from the titles' ASCII words.
    assert sorted(imported) == [
        "deepseek",
        "glm-vl",
        "qwen-vl",
        "reinforcement-learning-with-vision-language-models",
        "seed-vl",
    ]
    _assert_same_posts(imported, by_title=True)
    assert (
        (blog / "imported" / "glm-vl.md")
        .read_text(encoding="utf-8")
        .startswith(
            '---\ntitle: "GLM-VL系列论文解析"\ndate: "八月 24, 2025"\nauthor: pan\n---\n\n'
            "发布GLM-4.1V"
        )
    )
    assert run("validate", "imported").exit_code == 0


def test_papermod_html_list_page_recreates_the_five_posts(blog: Path, run):
    result = run("import", str(PAPERMOD), "--into", "imported")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Imported 5 posts into imported/ (0 skipped)."
    imported = _read_folder(blog / "imported")
    # File names come from the cards' links, so the permalinks stay the same.
    assert {name: post_of(loaded).permalink for name, loaded in imported.items()} == {
        name: post_of(loaded).permalink for name, loaded in REPO_POSTS.items()
    }
    _assert_same_posts(imported)
    assert run("validate", "imported").exit_code == 0


def test_list_page_skips_and_reports(tmp_path: Path, run, monkeypatch):
    """Header text, a card without a date, one without a title, a repeat and an unreadable date."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_bytes((REPO / "feedtool.toml").read_bytes())
    page = tmp_path / "list.txt"
    page.write_text(
        "pan 的博客\n\n归档 标签\n\n"
        "Rust 入门\n\n所有权与借用。\n\n八月 24, 2025 · 1 分钟 · pan\n\n"
        "没有日期的文章\n\n摘要。\n\n1 分钟 · pan\n\n"
        "六月 22, 2025 · 1 分钟 · pan\n\n"  # no title before it
        "Rust 入门\n\n所有权与借用。\n\n八月 24, 2025 · 1 分钟 · pan\n\n"
        "二月的一天\n\n日期写错了。\n\n二月 30, 2025 · 1 分钟 · pan\n\n"
        "下一页 »\n\n© 2025 pan 的博客 · Powered by Hugo & PaperMod\n",
        encoding="utf-8",
    )
    result = run("import", "list.txt", "--into", "posts")
    assert result.exit_code == 0, result.output
    hashed = "post-" + hashlib.sha1("二月的一天".encode()).hexdigest()[:8]  # an all-CJK title
    assert result.stdout.splitlines() == [
        "wrote posts/rust.md: Rust 入门 (八月 24, 2025)",
        'skipped entry 2 "没有日期的文章": no date',
        "skipped entry 3: no title",
        'skipped entry 4 "Rust 入门": duplicate of entry 1 (same title and date)',
        f'wrote posts/{hashed}.md: 二月的一天 (二月 30, 2025); date "二月 30, 2025" cannot be read '
        "(February 2025 has 28 days); fix it, feedtool validate reports it",
        "Imported 2 posts into posts/ (3 skipped).",
    ]
    # Imported as written, so that the user can fix it; validate points at it.
    check = run("validate", "posts")
    assert check.exit_code == 1 and "FT201" in check.stdout and f"{hashed}.md:3:7" in check.stdout


# --------------------------------------------------------------------------- feeds


def _feed_facts(path: Path) -> list[tuple]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [
        (
            e.title,
            e.link,
            e.published_parsed,
            [t.term for t in e.tags],
            e.author,
            e.content[0].value if "content" in e else e.summary,
        )
        for e in parsed.entries
    ]


def _give_cover(blog: Path) -> None:
    post = blog / "posts" / "glm-vl.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace(
            "author: pan\n", "author: pan\ncover: images/封面 图.png\n"
        ),
        encoding="utf-8",
    )


@pytest.mark.parametrize("feed", ["rss.xml", "atom.xml"])
def test_rss_and_atom_from_build_round_trip(blog: Path, run, feed: str):
    _give_cover(blog)  # a cover comes back too
    assert run("build").exit_code == 0
    result = run("import", f"public/{feed}", "--into", "imported")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Imported 5 posts into imported/ (0 skipped)."
    assert run("validate", "imported").exit_code == 0
    # Dates are kept as the feed writes them.
    raw = feedparser.parse((blog / "public" / feed).read_bytes())
    imported = _read_folder(blog / "imported")
    for entry in raw.entries:
        slug = entry.link.rstrip("/").rsplit("/", 1)[-1]
        assert front_matter_of(imported[slug]).texts["date"] == entry.published
    assert run("build", "--posts", "imported", "--out", "rebuilt").exit_code == 0
    for output in ("rss.xml", "atom.xml"):
        assert _feed_facts(blog / "rebuilt" / output) == _feed_facts(blog / "public" / output)
        media = [
            feedparser.parse((blog / folder / output).read_bytes()).entries[0].media_content
            for folder in ("public", "rebuilt")
        ]
        assert media[0] == media[1] and "%E5%B0%81%E9%9D%A2" in media[0][0]["url"]


def test_json_feed_from_build_round_trips(blog: Path, run):
    _give_cover(blog)
    assert run("build").exit_code == 0
    result = run("import", "public/feed.json", "--into", "imported")
    assert result.exit_code == 0, result.output
    assert run("validate", "imported").exit_code == 0
    assert run("build", "--posts", "imported", "--out", "rebuilt").exit_code == 0
    keys = (
        "id",
        "url",
        "title",
        "date_published",
        "tags",
        "authors",
        "content_html",
        "summary",
        "image",
    )
    before, after = (
        json.loads((blog / folder / "feed.json").read_text(encoding="utf-8"))["items"]
        for folder in ("public", "rebuilt")
    )
    assert [{k: item.get(k) for k in keys} for item in after] == [
        {k: item.get(k) for k in keys} for item in before
    ]
    imported = _read_folder(blog / "imported")
    assert front_matter_of(imported["glm-vl"]).texts["date"] == "2025-08-24T00:00:00+08:00"


def test_json_feed_1_0_fields(tmp_path: Path):
    """JSON Feed 1.0's author object, content_text, an own summary, a non-URL id, updated, skips."""
    feed = {
        "version": "https://jsonfeed.org/version/1",
        "title": "micro",
        "author": {"name": "Ann"},
        "items": [
            {
                "id": "42",
                "url": "https://example.com/notes/hello-world.html",
                "title": 'Say "hi": #1 \\o/',
                "content_text": "Plain *text* body.",
                "summary": "A summary of its own.",
                "date_published": "2025-08-24T10:00:00+08:00",
                "date_modified": "2025-08-25T10:00:00+08:00",
                "tags": ["notes", "yes"],
            },
            {"id": "43", "title": "no date", "content_text": "x"},
            {"id": "44", "content_text": "a note without a title", "date_published": "2025-08-24"},
            {"id": "42", "title": "again", "date_published": "2025-08-24"},
        ],
    }
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(feed), encoding="utf-8")
    report = importer.plan_import(source, tmp_path / "posts")
    assert report.kind == "jsonfeed"
    assert [(s.entry.position, s.reason) for s in report.skipped] == [
        (2, "no date"),
        (3, "no title"),
        (4, "duplicate of entry 1 (same id)"),
    ]
    [post] = report.posts
    assert post.name == "hello-world.md"
    loaded = posts.loads(post.data, SITE, path="hello-world.md")
    assert loaded.diagnostics == []
    values = front_matter_of(loaded).values
    assert values["title"] == 'Say "hi": #1 \\o/'
    assert values["date"] == "2025-08-24T10:00:00+08:00"
    assert values["updated"] == "2025-08-25T10:00:00+08:00"
    assert values["author"] == "Ann" and values["tags"] == ["notes", "yes"]
    assert values["summary"] == "A summary of its own." and values["id"] == "42"
    imported = post_of(loaded)
    # Plain text: shown as written, not as emphasis.
    assert imported.body.strip() == "Plain \\*text\\* body."
    assert render.render(imported, SITE).content_html == "<p>Plain *text* body.</p>"


# A feed whose zoneless dates mean something only in the site's zone: entry 1's `updated` is
# later than its date in Los Angeles, earlier in Shanghai; entry 2's PDT is a zone only a
# Pacific site uses (parse_date refuses it elsewhere as ambiguous).
_ZONED_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "items": [
        {
            "url": "https://example.com/posts/edited/",
            "title": "Edited",
            "content_text": "One.",
            "date_published": "2025-08-24T10:00:00+00:00",
            "date_modified": "2025-08-24 12:00",
        },
        {
            "url": "https://example.com/posts/pacific/",
            "title": "Pacific",
            "content_text": "Two.",
            "date_published": "2025-08-25 09:00 PDT",
        },
    ],
}
_PACIFIC = 'title = "t"\nbase_url = "https://example.com"\ntimezone = "America/Los_Angeles"\n'


def test_import_reads_dates_in_the_sites_zone(tmp_path: Path, run, monkeypatch):
    """In a site, zoneless dates are read in its zone, so what is written means there what the
    feed meant; with no site here, Asia/Shanghai as before."""
    (tmp_path / "feed.json").write_text(json.dumps(_ZONED_FEED), encoding="utf-8")
    site_folder, plain_folder = tmp_path / "site", tmp_path / "plain"
    site_folder.mkdir()
    plain_folder.mkdir()
    (site_folder / "feedtool.toml").write_text(_PACIFIC, encoding="utf-8")
    pacific = config.loads(_PACIFIC, source="feedtool.toml", base_dir=site_folder)

    monkeypatch.chdir(site_folder)
    result = run("import", "../feed.json", "--into", "posts")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "wrote posts/edited.md: Edited (2025-08-24T10:00:00+00:00)",
        "wrote posts/pacific.md: Pacific (2025-08-25 09:00 PDT)",
        "Imported 2 posts into posts/ (0 skipped).",
    ]
    edited = posts.load(site_folder / "posts" / "edited.md", pacific)
    assert edited.diagnostics == []
    assert front_matter_of(edited).texts["updated"] == "2025-08-24 12:00"
    updated = post_of(edited).updated
    assert updated is not None and updated.isoformat() == "2025-08-24T12:00:00-07:00"
    assert run("validate", "posts").exit_code == 0

    monkeypatch.chdir(plain_folder)
    result = run("import", "../feed.json", "--into", "posts")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        'wrote posts/pacific.md: Pacific (2025-08-25 09:00 PDT); date "2025-08-25 09:00 PDT" '
        "cannot be read (the zone abbreviation PDT is ambiguous here: write a numeric offset "
        "such as +08:00); fix it, feedtool validate reports it"
    )
    edited = posts.load(plain_folder / "posts" / "edited.md", SITE)
    assert "updated" not in front_matter_of(edited).values  # earlier than its date in Shanghai


def test_import_posts_from_python(tmp_path: Path):
    """`api.import_posts` does the command's work without click: a dry run writes nothing, and
    the site given is the zone dates are read in."""
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(_ZONED_FEED), encoding="utf-8")
    pacific = config.loads(_PACIFIC, source="feedtool.toml", base_dir=tmp_path)
    into = tmp_path / "posts"
    planned = api.import_posts(source, into, dry_run=True, site=pacific)
    assert [(p.name, p.notes) for p in planned.posts] == [("edited.md", ()), ("pacific.md", ())]
    assert not into.exists()
    written = api.import_posts(source, into, dry_run=False, site=pacific)
    assert sorted(p.name for p in into.iterdir()) == ["edited.md", "pacific.md"]
    for post in written.posts:
        assert (into / post.name).read_bytes() == post.data
    shanghai = api.import_posts(source, tmp_path / "other", dry_run=True)
    assert [len(p.notes) for p in shanghai.posts] == [0, 1]


def test_atom_html_title_tag_id_and_author_inherited(tmp_path: Path):
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>t</title><id>tag:example.com,2025:feed</id><updated>2025-08-24T00:00:00Z</updated>
  <author><name>潘</name></author>
  <entry>
    <title type="html">&lt;em&gt;全&lt;/em&gt;中文标题：测试</title>
    <id>tag:example.com,2025:1</id>
    <link href="https://example.com/?p=1"/>
    <updated>2025-08-24T08:00:00Z</updated>
    <content type="html">&lt;p&gt;正文&lt;/p&gt;</content>
  </entry>
</feed>"""
    source = tmp_path / "atom.xml"
    source.write_text(atom, encoding="utf-8")
    [post] = importer.plan_import(source, tmp_path / "posts").posts
    assert post.name.startswith("post-") and len(post.name) == len("post-12345678.md")
    loaded = posts.loads(post.data, SITE, path=post.name)
    assert loaded.diagnostics == []
    imported = post_of(loaded)
    assert imported.title == "全中文标题：测试"
    assert front_matter_of(loaded).texts["date"] == "2025-08-24T08:00:00Z"
    assert imported.author == "潘" and imported.id == "tag:example.com,2025:1"
    assert imported.body.strip() == "<p>正文</p>"


# --------------------------------------------------------------------------- never overwrite


def test_existing_posts_are_never_overwritten(blog: Path, run):
    before = {path.name: path.read_bytes() for path in (blog / "posts").iterdir()}
    result = run("import", str(PAPERMOD), "--into", "posts")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "wrote posts/glm-vl-2.md: GLM-VL系列论文解析 (八月 24, 2025); renamed: glm-vl.md already "
        "exists"
    )
    for name, data in before.items():
        assert (blog / "posts" / name).read_bytes() == data
    assert sorted(p.name for p in (blog / "posts").iterdir()) == sorted(
        [
            *before,
            "glm-vl-2.md",
            "rl-with-vlm-2.md",
            "seed-vl-2.md",
            "qwen-vl-2.md",
            "deepseek-2.md",
        ]
    )
    again = run("import", str(PAPERMOD), "--into", "posts")
    assert "wrote posts/glm-vl-3.md: " in again.stdout


def test_dry_run_writes_nothing(blog: Path, run):
    result = run("import", str(PAPERMOD), "--into", "new", "--dry-run")
    assert result.exit_code == 0
    assert (
        result.stdout.splitlines()[0]
        == "would write new/glm-vl.md: GLM-VL系列论文解析 (八月 24, 2025)"
    )
    assert (
        result.stdout.splitlines()[-1]
        == "Dry run: would import 5 posts into new/ (0 skipped); nothing written."
    )
    assert not (blog / "new").exists()


def test_two_entries_with_one_slug_get_a_suffix(tmp_path: Path):
    page = (
        "Hello World\n\nOne.\n\n八月 24, 2025 · 1 分钟 · pan\n\n"
        "Hello, world!\n\nTwo.\n\n八月 25, 2025 · 1 分钟 · pan\n"
    )
    (tmp_path / "list.txt").write_text(page, encoding="utf-8")
    report = importer.plan_import(tmp_path / "list.txt", tmp_path / "posts")
    assert [(p.name, p.notes) for p in report.posts] == [
        ("hello-world.md", ()),
        ("hello-world-2.md", ("renamed: hello-world.md is taken by entry 1",)),
    ]


# --------------------------------------------------------------------------- unusable input


def test_url_is_refused(blog: Path, run):
    result = run("import", "https://pan.example.com/index.xml", "--into", "imported")
    assert result.exit_code == 2
    assert "looks like a URL" in result.stderr and "download it first" in result.stderr
    assert "Traceback" not in result.output and not (blog / "imported").exists()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("missing.xml", None, "missing.xml: no such file"),
        ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary content"),
        ("notes.txt", "随便写的几行字\n\n没有日期。\n".encode(), "found no posts"),
        ("data.json", b'{"name": "not a feed"}', "not a JSON Feed"),
        (
            "page.html",
            b"<!DOCTYPE html><html><body><p>hi</p></body></html>",
            "HTML page without posts",
        ),
        ("gbk.txt", "标题\n\n摘要\n\n八月 24, 2025 · 1 分钟 · pan\n".encode("gbk"), "not UTF-8"),
        ("empty.xml", b" \n", "empty file"),
    ],
)
def test_unusable_sources_are_exit_2(tmp_path: Path, run, monkeypatch, name, data, message):
    monkeypatch.chdir(tmp_path)
    if data is not None:
        (tmp_path / name).write_bytes(data)
    result = run("import", name, "--into", "posts")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {name}: ") and message in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "posts").exists()


def test_broken_feed_is_read_leniently_with_a_warning(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><item><title>A</title>"
        "<link>https://e.com/posts/a/</link><pubDate>Sun, 24 Aug 2025 00:00:00 +0800</pubDate>"
        "</item>",
        encoding="utf-8",
    )
    result = run("import", "feed.xml", "--into", "posts")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: the feed is not well-formed")
    assert result.stdout.splitlines()[0] == "wrote posts/a.md: A (Sun, 24 Aug 2025 00:00:00 +0800)"


# --------------------------------------------------------------------------- front matter safety

TRICKY_TITLES = [
    'Say "hi"',
    "it's",
    "a: b",
    "#1 not a comment",
    "a # b",
    "back\\slash",
    "C:\\path\\n",
    "中文标题：冒号",
    "表情 🎉🚀",
    "- starts like a list",
    "[not, a, list]",
    "{not: a map}",
    "yes",
    "null",
    "~",
    "1.10",
    "2025-08-24",
    "@at",
    "`tick`",
    "*star",
    "&anchor",
    "!tag",
    "%percent",
    "  padded  ",
    "tab\there",
    "line\nbreak",
    "nel\x85 ls\u2028 ps\u2029",
    "bom\ufeff",
    "del\x7f",
]


@pytest.mark.parametrize("title", TRICKY_TITLES)
def test_titles_round_trip_through_posts_loads(title: str):
    entry = importer.Entry(
        1, title, "八月 24, 2025", author=title, tags=(title, "plain"), summary=title
    )
    loaded = posts.loads(importer.post_text(entry), SITE)
    values = front_matter_of(loaded).values
    assert values["title"] == title and values["author"] == title and values["summary"] == title
    assert values["tags"] == [title, "plain"] and values["date"] == "八月 24, 2025"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_round_trips_through_yaml_quote(text: str):
    loaded = posts.loads(f"---\ntitle: {importer.yaml_quote(text)}\ndate: 2025-08-24\n---\n", SITE)
    # (what XML forbids is read without it: FT206)
    assert front_matter_of(loaded).values["title"] == posts.XML_FORBIDDEN.sub("", text)


@pytest.mark.parametrize(
    "link, title, slug",
    [
        ("https://pan.example.com/posts/glm-vl/", "GLM-VL系列论文解析", "glm-vl"),
        ("https://example.com/2025/08/24/hello-world.html", "x", "hello-world"),
        ("https://example.com/posts/a-b/index.html", "x", "a-b"),
        ("https://example.com/2025/08/24/", "Qwen2.5-VL 笔记", "qwen2-5-vl"),
        ("https://example.com/posts/%E4%B8%AD%E6%96%87/", "Café Übersicht", "cafe-ubersicht"),
        ("https://example.com/../../etc/passwd", "x", "passwd"),
        ("", "../../etc", "etc"),
    ],
)
def test_slugs_are_single_safe_segments(link: str, title: str, slug: str):
    assert importer.slug_for(importer.Entry(1, title, "2025-08-24", link=link)) == slug


def test_all_cjk_title_gets_a_stable_hash_name():
    entry = importer.Entry(1, "多模态论文解析", "2025-08-24")
    assert importer.slug_for(entry) == importer.slug_for(entry) and importer.slug_for(
        entry
    ).startswith("post-")
    assert len(importer.slug_for(entry)) == len("post-") + 8


def test_text_page_without_blank_lines_inside_a_post(tmp_path: Path):
    page = (
        "pan 的博客\n\nGLM-VL系列论文解析\n发布两个模型。\n八月 24, 2025 · 1 分钟 · pan\n\n"
        "Seed-VL系列论文解析\n字节的工作。\n六月 2, 2025 · 1 分钟 · pan\n"
    )
    (tmp_path / "list.txt").write_text(page, encoding="utf-8")
    report = importer.plan_import(tmp_path / "list.txt", tmp_path / "posts")
    assert [(p.name, p.entry.title, p.entry.date, p.entry.body) for p in report.posts] == [
        ("glm-vl.md", "GLM-VL系列论文解析", "八月 24, 2025", "发布两个模型。"),
        ("seed-vl.md", "Seed-VL系列论文解析", "六月 2, 2025", "字节的工作。"),
    ]


def test_create_files_never_replaces_a_file_that_appeared(tmp_path: Path):
    from feedtool.errors import OutputError
    from feedtool.output import create_files

    (tmp_path / "taken.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="already exists"):
        create_files(tmp_path, {"taken.md": b"theirs"})
    assert (tmp_path / "taken.md").read_text(encoding="utf-8") == "mine"
    assert create_files(tmp_path, {"new.md": b"x"}) == [(tmp_path / "new.md").resolve()]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_summary_that_is_the_contents_opening_is_not_kept_across_paragraphs():
    # Blocks are kept apart when the summary is compared with the content: "First para. Second"
    # is how the content starts, not a summary of its own.
    assert not importer._is_own_summary(
        "First para. Second…", "<p>First para.</p><p>Second para, more.</p>"
    )
    assert importer._is_own_summary(
        "Something else.", "<p>First para.</p><p>Second para, more.</p>"
    )
    assert importer._html_text("<p>a</p><p>b</p><script>x</script><br>c") == "a b c"


_plain = st.text(
    st.sampled_from(list("ab 中文。\n\t#>*-+=_~:|`[]{}()!\\&<;0123456789.")), max_size=40
)


@given(_plain)
@settings(max_examples=300, deadline=None)
def test_plain_text_shows_as_written(text):
    # A JSON Feed's content_text (plain text) must come out of the post as that text: no
    # heading, list, emphasis, code, table or tag made of what it says.
    assert render.html_to_text(
        render.to_html(importer.markdown_text(text), "https://e.com/")
    ) == " ".join(text.split())


def test_a_feeds_plain_text_is_not_read_as_markdown(tmp_path: Path):
    text = "用 std::vector<int> 存数据。\n# 不是标题\n*不是强调*"
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [
            {
                "id": "1",
                "title": "t",
                "date_published": "2025-08-24T10:00:00+08:00",
                "content_text": text,
                "summary": "**也不是**",
            }
        ],
    }
    (tmp_path / "feed.json").write_text(json.dumps(feed, ensure_ascii=False), encoding="utf-8")
    [post] = importer.plan_import(tmp_path / "feed.json", tmp_path / "posts").posts
    loaded = posts.loads(post.data, SITE, path="t.md")
    rendered = render.render(post_of(loaded), SITE)
    assert (
        render.html_to_text(rendered.content_html)
        == "用 std::vector<int> 存数据。 # 不是标题 *不是强调*"
    )
    assert "<h1>" not in rendered.content_html and "<em>" not in rendered.content_html
    assert render.html_to_text(rendered.summary_html) == "**也不是**"


def test_an_atom_text_construct_is_plain_text(tmp_path: Path):
    atom = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        "<id>urn:t</id><updated>2025-08-24T10:00:00+08:00</updated><entry><title>t</title><id>urn:1</id>"
        '<updated>2025-08-24T10:00:00+08:00</updated><content type="text">1. 不是列表 '
        "&lt;b&gt;不是粗体&lt;/b&gt;</content>"
        "</entry></feed>"
    )
    (tmp_path / "atom.xml").write_text(atom, encoding="utf-8")
    [post] = importer.plan_import(tmp_path / "atom.xml", tmp_path / "posts").posts
    rendered = render.render(post_of(posts.loads(post.data, SITE, path="t.md")), SITE)
    assert rendered.content_html == "<p>1. 不是列表 &lt;b&gt;不是粗体&lt;/b&gt;</p>"


@pytest.mark.parametrize("kind", ["rss", "json"])
def test_relative_links_in_a_feeds_html_point_where_they_were_published(tmp_path: Path, kind: str):
    link = "https://old.example.com/2024/01/first-post.html"
    html = '<p><img src="img/a.png" alt="a"> <a href="/rel">r</a></p>\n<!--more-->\n<p>后文</p>'
    if kind == "rss":
        from xml.sax.saxutils import escape

        data = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://old.example.com/</link>'
            f"<description>d</description><item><title>t</title><link>{link}</link>"
            f"<pubDate>Sun, 24 Aug 2025 10:00:00 +0800</pubDate><description>{escape(html)}"
            "</description></item></channel></rss>"
        )
    else:
        data = json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "t",
                "items": [
                    {
                        "id": "1",
                        "url": link,
                        "title": "t",
                        "date_published": "2025-08-24T10:00:00+08:00",
                        "content_html": html,
                    }
                ],
            }
        )
    (tmp_path / f"feed.{kind}").write_text(data, encoding="utf-8")
    [post] = importer.plan_import(tmp_path / f"feed.{kind}", tmp_path / "posts").posts
    rendered = render.render(post_of(posts.loads(post.data, SITE, path="t.md")), SITE)
    content = rendered.content_html
    assert "后文" not in rendered.summary_html and "后文" in content  # the more marker is kept
    assert 'src="https://old.example.com/2024/01/img/a.png"' in content, content
    assert 'href="https://old.example.com/rel"' in content, content
