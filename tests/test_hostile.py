"""Hostile and broken posts: no crash, a diagnostic for each broken one, nothing dangerous out.

tests/data/hostile/ holds the fixed corpus: h-*.md are valid posts full of hostile content that
must build safely; b-*.md are broken posts that must each get an error.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from conftest import body_of, post_of, write_post
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from feedtool import config, digest, feeds, posts
from feedtool.errors import PostError
from feedtool.render import render

HOSTILE = Path(__file__).parent / "data" / "hostile"
DANGEROUS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "form",
    "input",
    "button",
    "base",
    "meta",
    "style",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "link",
    "textarea",
    "select",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "cite",
    "background",
    "poster",
    "xlink:href",
}
ATOM = "{http://www.w3.org/2005/Atom}"


def assert_safe_html(fragment: str) -> None:
    """No scripting element, event handler, style, or URL other than http(s)/mailto."""
    if not fragment.strip():
        return
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment: inert
        assert element.tag.lower() not in DANGEROUS, etree.tostring(element)
        for name, value in element.attrib.items():
            name = name.lower()
            assert not name.startswith("on") and name != "style", (name, value)
            if name in URL_ATTRIBUTES:
                for candidate in value.split(",") if name == "srcset" else [value]:
                    url = candidate.strip().split(" ")[0]
                    assert urlsplit(url).scheme in ("http", "https", "mailto"), (name, value)


@pytest.fixture
def hostile_blog(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "hostile"
    shutil.copytree(HOSTILE, root / "posts")
    (root / "feedtool.toml").write_text(
        'title = "恶意测试"\nbase_url = "https://h.example.com"\nauthor = "站长"\n'
        '[digest]\nunsubscribe_url = "https://h.example.com/unsub"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    return root


def test_validate_reports_every_broken_file_and_no_valid_one(hostile_blog: Path, run):
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    errors = {Path(d["path"]).name for d in found if d["severity"] == "error"}
    broken = {p.name for p in HOSTILE.glob("b-*.md")}
    assert errors == broken, (broken - errors, errors - broken)
    assert all(d["line"] >= 1 and d["column"] >= 1 for d in found)
    assert "Traceback" not in result.output


def test_a_failed_build_leaves_public_alone(hostile_blog: Path, run):
    public = hostile_blog / "public"
    public.mkdir()
    (public / "atom.xml").write_bytes(b"<old/>")
    result = run("build")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [p.name for p in public.iterdir()] == ["atom.xml"]
    assert (public / "atom.xml").read_bytes() == b"<old/>"
    assert run("digest", "--week", "2025-W34").exit_code == 1


@pytest.fixture
def valid_hostile(hostile_blog: Path) -> Path:
    for broken in (hostile_blog / "posts").glob("b-*.md"):
        broken.unlink()
    return hostile_blog


def test_hostile_content_builds_and_nothing_dangerous_gets_out(valid_hostile: Path, run):
    result = run("build")
    assert result.exit_code == 0, result.output
    public = valid_hostile / "public"
    atom = etree.parse(str(public / "atom.xml")).getroot()
    entries = atom.findall(f"{ATOM}entry")
    assert len(entries) == 6
    for entry in entries:
        assert_safe_html(entry.findtext(f"{ATOM}content"))
        assert_safe_html(entry.findtext(f"{ATOM}summary"))
        # Feed validators reject U+FFFD and C1 controls that &#xD800; / &#0; / raw bytes leave
        # behind.
        assert not re.search("[\x80-\x9f\ufffd]", entry.findtext(f"{ATOM}content"))
    # Atom needs an author: with none in the config or the posts, the site's title stands in.
    assert atom.find(f"{ATOM}author/{ATOM}name").text == "站长"
    rss = etree.parse(str(public / "rss.xml")).getroot()
    for item in rss.iter("item"):
        assert_safe_html(item.findtext("description"))
        assert_safe_html(item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded"))
    feed = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    for item in feed["items"]:
        assert_safe_html(item["content_html"])
        assert "<script" not in item["summary"].lower() or "&lt;" not in item["summary"]
    # Titles are text: feed readers get exactly what was written, never markup.
    parsed = feedparser.parse((public / "atom.xml").read_bytes())
    assert not parsed.bozo
    title = '<script>alert("t")</script> & ]]> <b>不是粗体</b>'
    assert atom.find(f"{ATOM}entry/{ATOM}title").text == title
    assert feed["items"][0]["title"] == title
    assert rss.find("channel/item/title").text == title
    assert len(rss.find("channel/item").findall("category")) == 2
    tags_item = next(i for i in rss.iter("item") if i.findtext("title") == "一万个标签")
    assert len(tags_item.findall("category")) == posts.MAX_TERMS  # its first terms only
    long_entry = next(e for e in entries if len(e.findtext(f"{ATOM}title")) == 100_000)
    assert long_entry.findtext(f"{ATOM}title") == "长" * 100_000


def test_hostile_digest_is_safe(valid_hostile: Path, run):
    assert run("digest", "--week", "2025-W34").exit_code == 0
    msg = email.message_from_bytes(
        (valid_hostile / "public" / "digest" / "2025-W34.eml").read_bytes(), policy=policy.default
    )
    assert msg["Subject"].startswith("恶意测试周报")
    page = body_of(msg, "html")
    document = lxml_html.document_fromstring(page)
    body = document.find("body")
    for element in body.iter():
        if isinstance(element.tag, str):
            assert element.tag.lower() not in DANGEROUS
    assert_safe_html(
        lxml_html.tostring(body, encoding="unicode")
        .replace("<body", "<div")
        .replace("</body>", "</div>")
        .replace(' style="', ' data-inlined-style="')
    )  # inlined CSS is ours, not the post's
    titles = [a.text_content() for a in document.xpath("//h2/a")]
    assert '<script>alert("t")</script> & ]]> <b>不是粗体</b>' in titles
    text = body_of(msg, "plain")
    assert '<script>alert("t")</script>' in text  # plain text shows it as text, which is harmless


def test_huge_body_and_title_build(tmp_path: Path, run, monkeypatch):
    root = tmp_path / "big"
    (root / "posts").mkdir(parents=True)
    (root / "feedtool.toml").write_text(
        'title = "大"\nbase_url = "https://b.example.com"\n', encoding="utf-8"
    )
    paragraph = "这是一个很长的段落，包含一些文字。" * 30 + "\n\n"
    write_post(
        root / "posts", "big.md", "---\ntitle: 大文件\ndate: 2025-08-24\n---\n\n" + paragraph * 6600
    )
    assert (root / "posts" / "big.md").stat().st_size > 10_000_000
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    entry = feedparser.parse((root / "public" / "atom.xml").read_bytes()).entries[0]
    assert entry.summary.endswith("…</p>") and len(entry.content[0].value) > 3_000_000  # characters


# feedtool's own limits on what it renders (FT304), the same whatever Markdown release is installed:
# a body beyond them is refused before Markdown sees it, by validate and build alike.
_HEAD = "---\ntitle: t\ndate: 2025-08-24\n---\n\n"
BEYOND_LIMITS = {
    "size": "正文。" * (posts.MAX_BODY_CHARACTERS // 3 + 1),
    "unclosed links": "[a](" * 10_000,
    "brackets in one paragraph": "".join(
        f"[a][{i}]\n" for i in range(posts.MAX_BRACKETS_PER_PARAGRAPH + 1)
    ),
    "footnotes in one paragraph": "".join(f"x[^{i}]\n" for i in range(20_000)),
    "many paragraphs crowded with links": ("[a](" * 499 + "\n\n") * 300,
    "list, 2-space indents": "".join("  " * i + "- x\n" for i in range(600)),
    "list, 4-space indents": "".join("    " * i + "- x\n" for i in range(posts.MAX_NESTING + 1)),
    "list, tab indents": "".join("\t" * i + "- x\n" for i in range(posts.MAX_NESTING + 1)),
    "quotes": ">" * (posts.MAX_NESTING + 1) + " x\n",
    "markdown in HTML": '<div markdown="1">\n' * 3000 + "x\n" + "</div>\n" * 3000,
}
WITHIN_LIMITS = {
    "brackets spread over paragraphs": "".join(f"[a](https://e.com/{i})\n\n" for i in range(1000)),
    "brackets in code": "```json\n" + "[1]," * 5000 + "\n```\n",
    "a list of 2,000 links": "".join(
        f"- [名字{i}](https://e.com/{i}) - 工具\n" for i in range(2000)
    ),
    "a table of 1,000 rows of links": "|a|b|\n|-|-|\n"
    + "".join(f"|[x](https://e.com/{i})|[y](https://e.com/y{i})|\n" for i in range(1000)),
    "a few paragraphs crowded with links": ("[a](https://e.com/) " * 400 + "\n\n") * 5,
    "list, 100 levels": "".join("    " * i + "- x\n" for i in range(posts.MAX_NESTING)),
    "quotes, 100 levels": ">" * posts.MAX_NESTING + " x\n",
    "markdown in HTML, 100 levels": '<div markdown="1">\n' * 100 + "x\n" + "</div>\n" * 100,
    "markdown in HTML, side by side": '<div markdown="1">\nx\n</div>\n' * 300,
}


@pytest.fixture
def no_markdown(monkeypatch):
    """Markdown fails the test if it is asked to convert anything."""
    from feedtool import render as render_module

    def refuse(*args, **kwargs):
        raise AssertionError("Markdown was asked to render a body beyond feedtool's limits")

    monkeypatch.setattr(render_module, "to_html", refuse)


@pytest.mark.parametrize("body", BEYOND_LIMITS.values(), ids=BEYOND_LIMITS.keys())
def test_a_body_beyond_the_limits_is_refused_before_markdown_sees_it(body: str, no_markdown):
    site = config.loads('title = "t"\nbase_url = "https://e.com"')
    loaded = posts.loads(_HEAD + body, site)
    with pytest.raises(PostError) as caught:
        render(post_of(loaded), site)
    assert caught.value.diagnostic.code == "FT304" and caught.value.diagnostic.line == 5
    assert caught.value.diagnostic.message.startswith("the body ")


@pytest.mark.parametrize("body", BEYOND_LIMITS.values(), ids=BEYOND_LIMITS.keys())
def test_validate_and_build_refuse_the_same_bodies(body: str, tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://e.com"\n', encoding="utf-8"
    )
    write_post(tmp_path / "posts", "ok.md", _HEAD + "正文。\n")
    write_post(tmp_path / "posts", "p.md", _HEAD + body)
    validated = run("validate")
    assert validated.exit_code == 1
    assert [
        line.split(" ", 3)[:3] for line in validated.stdout.splitlines() if "FT304" in line
    ] == [["posts/p.md:5:1:", "error", "FT304"]]
    built = run("build")
    assert built.exit_code == 1 and "posts/p.md:5:1: error FT304 the body " in built.stderr
    assert not (tmp_path / "public").exists()


def test_a_summary_beyond_the_limits_is_refused(no_markdown):
    site = config.loads('title = "t"\nbase_url = "https://e.com"')
    loaded = posts.loads(
        '---\ntitle: t\ndate: 2025-08-24\nsummary: "' + "[a](" * 1000 + '"\n---\n\n正文。\n', site
    )
    with pytest.raises(PostError) as caught:
        render(post_of(loaded), site)
    assert caught.value.diagnostic.message.startswith("the summary has more than 500 '['")


@pytest.mark.parametrize("body", WITHIN_LIMITS.values(), ids=WITHIN_LIMITS.keys())
def test_a_body_within_the_limits_renders(body: str):
    site = config.loads('title = "t"\nbase_url = "https://e.com"')
    loaded = posts.loads(_HEAD + body, site)
    assert posts.too_complex(post_of(loaded)) is None
    root = lxml_html.fragment_fromstring(
        render(post_of(loaded), site).content_html, create_parent="div"
    )
    assert root.text_content().strip()


def test_a_body_that_renders_too_slowly_is_refused_after_the_time_limit(monkeypatch):
    import time

    from feedtool import render as render_module

    site = config.loads('title = "t"\nbase_url = "https://e.com"')
    loaded = posts.loads(_HEAD + "正文。\n", site)
    monkeypatch.setattr(render_module, "RENDER_SECONDS", 0.2)
    monkeypatch.setattr(
        render_module, "to_html", lambda source, base: time.sleep(30)
    )  # a converter stuck
    started = time.monotonic()
    with pytest.raises(PostError) as caught:
        render(post_of(loaded), site)
    assert time.monotonic() - started < 10  # refused at the limit, not after the converter
    assert (
        caught.value.diagnostic.message
        == "the body takes over 0.2 s to render as Markdown; simplify it"
    )


# Random hostile input through the whole pipeline -----------------------------------------------

SITE = config.loads(
    'title = "t"\nbase_url = "https://e.com"\n[digest]\nunsubscribe_url = "https://e.com/u"'
)
_fragments = st.sampled_from(
    [
        "<script>x</script>",
        "<img src=x onerror=y>",
        "[a](javascript:b)",
        "<a href='data:x'>d</a>",
        "]]>",
        "&#1;",
        "&#xD800;",
        "\u202e",
        "\u200b",
        "😀",
        "𠀀",
        "<iframe>",
        "<!--",
        "-->",
        "<style>",
        "`",
        "```\n",
        "\n\n",
        "# h\n",
        "- l\n",
        "> q\n",
        "|a|b|\n|-|-|\n",
        "[^1]\n\n[^1]: f\n",
        "<base href=x>",
        "<meta http-equiv=refresh>",
        "<p style='x:expression(y)'>",
        "<svg onload=x>",
        "**",
        "_",
        "\\",
        "<",
        ">",
        "&",
        '"',
        "'",
        "正文。",
        "x" * 50,
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_fragments, max_size=30).map("".join), st.lists(_fragments, max_size=4).map("".join)
)
def test_random_hostile_posts_never_crash_the_pipeline(body: str, title: str):
    text = (
        "---\ntitle: "
        + json.dumps("t" + title, ensure_ascii=False)
        + "\ndate: 2025-08-24\n---\n\n"
        + body
    )
    loaded = posts.loads(text.encode("utf-8"), SITE)
    if loaded.post is None:
        assert loaded.diagnostics
        return
    entry = render(loaded.post, SITE)
    assert_safe_html(entry.content_html)
    assert_safe_html(entry.summary_html)
    for produce in (feeds.atom, feeds.rss):
        etree.fromstring(produce(SITE, [entry]))
    json.loads(feeds.json_feed(SITE, [entry]))
    window = digest.week_of(loaded.post.date, SITE)
    files = digest.files(
        SITE, digest.compose(SITE, window, [entry]), loaded.post.date, None
    )  # no archive yet
    email.message_from_bytes(files[f"digest/{window.name}.eml"], policy=policy.default).get_body(
        ("html",)
    )


def test_a_symlink_inside_the_output_folder_cannot_redirect_writes(blog: Path, run, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (blog / "public").mkdir()
    (blog / "public" / "tags").symlink_to(elsewhere, target_is_directory=True)
    result = run("build")
    assert result.exit_code == 2 and "refusing to write outside" in result.stderr
    assert list(elsewhere.iterdir()) == []
    assert not (blog / "public" / "atom.xml").exists()  # all or nothing


def test_posts_folder_links_are_not_followed(blog: Path, run, tmp_path: Path):
    outside = tmp_path / "outside.md"
    outside.write_text(
        "---\ntitle: 外面的文件\ndate: 2025-01-01\n---\n\n秘密。\n", encoding="utf-8"
    )
    (blog / "posts" / "link.md").symlink_to(outside)
    (blog / "posts" / "loop").symlink_to(blog / "posts", target_is_directory=True)
    result = run("validate")
    assert result.exit_code == 0
    assert "posts/link.md:1:1: warning FT105 a symbolic link" in result.stdout
    assert "posts/loop:1:1: warning FT105 a symbolic link" in result.stdout
    assert run("build").exit_code == 0
    assert "外面的文件" not in (blog / "public" / "atom.xml").read_text(encoding="utf-8")


def test_a_named_pipe_with_a_posts_name_is_reported_never_read(blog: Path, run):
    os.mkfifo(blog / "posts" / "fifo.md")  # reading it would wait forever
    for command in ("validate", "build"):
        result = run(command)
        assert result.exit_code == 0, result.output
        assert "posts/fifo.md:1:1: warning FT105 not a regular file" in result.output


def test_a_folder_that_cannot_be_read_is_an_error_not_a_silence(blog: Path, run, monkeypatch):
    # (As root, chmod 000 does not stop reading: the refusal is made here.)
    hidden = blog / "posts" / "private"
    hidden.mkdir()
    (hidden / "secret.md").write_text(
        "---\ntitle: s\ndate: 2025-01-01\n---\n\n正文。\n", encoding="utf-8"
    )
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("private"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    for command in ("validate", "build"):
        result = run(command)
        assert result.exit_code == 1, result.output
        assert (
            "posts/private:1:1: error FT104 cannot read folder: Permission denied" in result.output
        )
