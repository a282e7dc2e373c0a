"""Tag and category feeds, the feed page (XSLT), WebSub and cover images."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from datetime import UTC
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qs

import feedparser
import pytest
from conftest import SCHEMAS, browse, need, write_post
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

ATOM = "{http://www.w3.org/2005/Atom}"
TAG = "多模态"
TAG_URL = "https://pan.example.com/tags/%E5%A4%9A%E6%A8%A1%E6%80%81/"


def add_config(blog: Path, text: str) -> None:
    config = blog / "feedtool.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("\n[digest]", text + "\n[digest]", 1),
        encoding="utf-8",
    )


def test_a_feed_per_tag_with_percent_encoded_urls(blog: Path, run):
    assert run("build").exit_code == 0
    folder = blog / "public" / "tags" / TAG
    feed = feedparser.parse((folder / "atom.xml").read_bytes())
    assert not feed.bozo
    assert feed.feed.title == f"pan 的博客 · 标签：{TAG}"
    assert [e.title for e in feed.entries] == [
        "GLM-VL系列论文解析",
        "Reinforcement Learning With Vision Language Models",
        "Seed-VL系列论文解析",
        "Qwen-VL系列论文解析",
    ]
    atom = etree.parse(str(folder / "atom.xml")).getroot()
    assert atom.find(f"{ATOM}link[@rel='self']").get("href") == TAG_URL + "atom.xml"
    assert atom.find(f"{ATOM}link[@rel='alternate']").get("href") == TAG_URL
    assert atom.findtext(f"{ATOM}id") == TAG_URL
    rss = etree.parse(str(folder / "rss.xml")).getroot()
    assert rss.findtext("channel/link") == TAG_URL
    items = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
    assert items["feed_url"] == TAG_URL + "feed.json" and len(items["items"]) == 4
    assert sorted(p.name for p in (blog / "public" / "tags").iterdir()) == sorted(
        ["deepseek", "glm", "llm", "moe", "qwen", "seed", "vlm", TAG, "强化学习", "论文解析"]
    )


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/schemas is absent")
def test_tag_feeds_pass_the_schema(blog: Path, run):
    assert run("build").exit_code == 0
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    for atom in (blog / "public" / "tags").glob("*/atom.xml"):
        assert schema.validate(etree.parse(str(atom))), (atom, schema.error_log)


def test_include_exclude_and_case(blog: Path, run):
    write_post(
        blog / "posts",
        "upper.md",
        "---\ntitle: 大写\ndate: 2025-01-01\ntags: [vlm, 其他]\ncategories: [笔记]\n---\n\n"
        "正文。\n",
    )
    add_config(blog, '[tag_feeds]\nexclude = ["其他"]\n')
    assert run("build").exit_code == 0
    tags = blog / "public" / "tags"
    assert not (tags / "其他").exists()
    vlm = feedparser.parse(
        (tags / "vlm" / "atom.xml").read_bytes()
    )  # "VLM" and "vlm" share one feed
    assert len(vlm.entries) == 5 and vlm.entries[-1].title == "大写"
    assert (blog / "public" / "categories" / "笔记" / "rss.xml").is_file()
    config = blog / "feedtool.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('exclude = ["其他"]', 'include = ["GLM"]'),
        encoding="utf-8",
    )
    shutil.rmtree(blog / "public")
    assert run("build").exit_code == 0
    assert [p.name for p in tags.iterdir()] == ["glm"]
    config.write_text(
        config.read_text(encoding="utf-8").replace('include = ["GLM"]', "enabled = false"),
        encoding="utf-8",
    )
    shutil.rmtree(blog / "public")
    assert run("build").exit_code == 0
    assert not tags.exists()


@pytest.mark.parametrize(
    "tag", ["../../escape", "a/b", "..", ".", "C:\\x", "%2e%2e", "con", "\u202e", " "]
)
def test_tag_names_never_leave_the_output_folder(blog: Path, run, tag: str):
    write_post(
        blog / "posts",
        "evil.md",
        "---\ntitle: 恶意标签\ndate: 2025-01-01\ntags: " + json.dumps([tag]) + "\n---\n\n正文。\n",
    )
    result = run("build")
    assert result.exit_code == 0, result.output
    public = (blog / "public").resolve()
    for path in blog.rglob("*"):
        if path.is_file() and path.suffix in (".xml", ".json") and "tags" in path.parts:
            assert public in path.resolve().parents, path
    assert sorted(p.name for p in blog.iterdir()) == [
        ".feedtool-cache",
        "feedtool.toml",
        "posts",
        "public",
    ]


def test_feed_page_stylesheet(blog: Path, run):
    assert run("build").exit_code == 0
    public = blog / "public"
    for name in ("atom.xml", "rss.xml", f"tags/{TAG}/atom.xml"):
        data = (public / name).read_bytes()
        assert b'<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>' in data.split(b"\n")[1]
        assert not feedparser.parse(data).bozo
        page = etree.XSLT(etree.parse(str(public / "feed.xsl")))(etree.parse(str(public / name)))
        text = str(page)
        assert "这是一个订阅源" in text and "GLM-VL系列论文解析" in text
        document = lxml_html.document_fromstring(text)
        assert document.get("lang") == "zh-CN"
        assert document.xpath("//code")[0].text_content().startswith("https://pan.example.com/")
        assert len(document.xpath("//ol/li")) in (4, 5)
        # Each post's title links to the post (an Atom entry's link has no rel: it is the
        # alternate).
        links = document.xpath("//ol/li/a/@href")
        assert links and all(link.startswith("https://pan.example.com/posts/") for link in links), (
            links
        )
    add_config(blog, "stylesheet = false\n")
    shutil.rmtree(blog / "public")
    assert run("build").exit_code == 0
    assert (
        b"xml-stylesheet" not in (public / "atom.xml").read_bytes()
        and not (public / "feed.xsl").exists()
    )


def test_feed_page_renders_in_chromium(blog: Path, run, tmp_path: Path):
    chromium = need("chromium", "chromium-browser")
    assert run("build").exit_code == 0
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(blog / "public")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/atom.xml"
        profile = tmp_path / "profile"
        dom = browse(chromium, url, profile, "--dump-dom")
        browse(
            chromium,
            url,
            profile,
            f"--screenshot={tmp_path / 'feed.png'}",
            "--window-size=800,1000",
        )
    finally:
        server.shutdown()
    assert (
        "这是一个订阅源" in dom and "GLM-VL系列论文解析" in dom
    )  # the transformed page, not raw XML
    assert (tmp_path / "feed.png").stat().st_size > 10_000


class _Hub(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, list[str]]] = []

    def do_POST(self):  # noqa: N802 (the http.server API)
        length = int(self.headers["Content-Length"])
        _Hub.received.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_websub_hub_link_and_ping(blog: Path, run):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub = f"http://127.0.0.1:{server.server_address[1]}/"
    _Hub.received = []
    try:
        add_config(blog, f'hub = "{hub}"\n')
        result = run("build", "--ping")
        assert result.exit_code == 0, result.output
        assert f"Pinged {hub} for 33 changed feeds." in result.stdout
        pinged = [r["hub.url"][0] for r in _Hub.received]
        assert all(r["hub.mode"] == ["publish"] for r in _Hub.received)
        _Hub.received = []
        again = run("build", "--ping")  # nothing changed: nothing to tell the hub
    finally:
        server.shutdown()
    assert pinged[:3] == [
        "https://pan.example.com/atom.xml",
        "https://pan.example.com/rss.xml",
        "https://pan.example.com/feed.json",
    ]
    assert (
        "https://pan.example.com/tags/%E5%A4%9A%E6%A8%A1%E6%80%81/atom.xml" in pinged
    )  # tag feeds too
    assert again.exit_code == 0 and "for 0 changed feeds" in again.stdout and _Hub.received == []
    atom = etree.parse(str(blog / "public" / "atom.xml")).getroot()
    assert atom.find(f"{ATOM}link[@rel='hub']").get("href") == hub
    rss = etree.parse(str(blog / "public" / "rss.xml")).getroot()
    assert rss.find(f"channel/{ATOM}link[@rel='hub']").get("href") == hub
    assert json.loads((blog / "public" / "feed.json").read_text(encoding="utf-8"))["hubs"] == [
        {"type": "WebSub", "url": hub}
    ]
    assert not feedparser.parse((blog / "public" / "rss.xml").read_bytes()).bozo


def test_ping_failures_are_clear(blog: Path, run):
    assert run("build", "--ping").exit_code == 2  # no hub configured
    add_config(blog, 'hub = "http://127.0.0.1:9/"\n')
    result = run("build", "--ping")
    assert result.exit_code == 2 and "cannot reach hub http://127.0.0.1:9/" in result.stderr
    assert (blog / "public" / "atom.xml").is_file()  # the feeds were written all the same


def give_cover(blog: Path, cover: str) -> None:
    """The sample post glm-vl gets `cover` (front matter text) after its author line."""
    post = blog / "posts" / "glm-vl.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("author: pan\n", f"author: pan\ncover:{cover}\n"),
        encoding="utf-8",
    )


def test_cover_image_in_feeds_and_digest(blog: Path, run):
    give_cover(blog, "\n  image: images/cover.png")
    assert run("build").exit_code == 0
    cover = "https://pan.example.com/posts/glm-vl/images/cover.png"
    feed = feedparser.parse((blog / "public" / "rss.xml").read_bytes())
    assert feed.entries[0].media_content[0]["url"] == cover
    atom = feedparser.parse((blog / "public" / "atom.xml").read_bytes())
    assert atom.entries[0].media_content[0]["url"] == cover
    assert (
        json.loads((blog / "public" / "feed.json").read_text(encoding="utf-8"))["items"][0]["image"]
        == cover
    )
    media = "{http://search.yahoo.com/mrss/}"
    item = etree.parse(str(blog / "public" / "rss.xml")).getroot().find("channel/item")
    assert (
        item.find(f"{media}content").get("url") == cover
    )  # directly in the item: a lone media:group is invalid
    assert item.find(f"{media}group") is None
    assert run("digest", "--week", "2025-W34").exit_code == 0
    page = lxml_html.document_fromstring(
        (blog / "public" / "digest" / "2025-W34.html").read_text(encoding="utf-8")
    )
    image = page.xpath(f"//img[@src='{cover}']")[0]
    # No file to read its size from: no width (never enlarged), kept within the card by CSS.
    assert image.get("alt") == "GLM-VL系列论文解析" and image.get("width") is None
    assert "max-width: 100%" in image.get("style")


def test_a_cover_url_is_percent_encoded(blog: Path, run):
    give_cover(blog, "\n  image: images/封面 图%.PNG")
    assert run("build").exit_code == 0
    cover = "https://pan.example.com/posts/glm-vl/images/%E5%B0%81%E9%9D%A2%20%E5%9B%BE%25.PNG"
    item = etree.parse(str(blog / "public" / "rss.xml")).getroot().find("channel/item")
    assert item.find("{http://search.yahoo.com/mrss/}content").get("url") == cover
    assert (
        json.loads((blog / "public" / "feed.json").read_text(encoding="utf-8"))["items"][0]["image"]
        == cover
    )
    assert (
        feedparser.parse((blog / "public" / "atom.xml").read_bytes())
        .entries[0]
        .media_content[0]["url"]
        == cover
    )


@pytest.mark.parametrize(
    "image, expected",
    [
        ("cover.webp", "image/webp"),
        ("cover.PNG", "image/png"),
        ("cover.avif", "image/avif"),
        ("cover", "image/jpeg"),
    ],
)
def test_a_covers_type_is_the_same_on_every_machine(
    blog: Path, run, tmp_path: Path, monkeypatch, image: str, expected: str
):
    # The machine's mime.types (here one that gets every type wrong) must not decide what the
    # feeds say: without one, a .webp cover used to be called image/jpeg.
    import mimetypes

    from feedtool import feeds

    system_types = tmp_path / "mime.types"
    system_types.write_text("image/x-wrong webp png avif\n", encoding="utf-8")
    for name in (
        "types_map",
        "encodings_map",
        "suffix_map",
        "common_types",
    ):  # what init() rebinds, restored after
        monkeypatch.setattr(mimetypes, name, getattr(mimetypes, name))
    monkeypatch.setattr(mimetypes, "knownfiles", [str(system_types)])
    monkeypatch.setattr(mimetypes, "inited", False)
    monkeypatch.setattr(mimetypes, "_db", None)
    feeds._media_types.cache_clear()
    assert (
        mimetypes.guess_type("a.webp")[0] == "image/x-wrong"
    )  # what Python's own guess would say here
    give_cover(blog, f" {image}")
    assert run("build").exit_code == 0
    media = "{http://search.yahoo.com/mrss/}"
    item = etree.parse(str(blog / "public" / "rss.xml")).getroot().find("channel/item")
    assert (
        item.find(f"{media}content").get("url") == f"https://pan.example.com/posts/glm-vl/{image}"
    )
    assert item.find(f"{media}content").get("type") == expected
    entry = etree.parse(str(blog / "public" / "atom.xml")).getroot().find(f"{ATOM}entry")
    assert entry.find(f"{media}content").get("type") == expected


def test_feeds_of_tags_no_longer_used_are_removed(blog: Path, run):
    write_post(
        blog / "posts",
        "secret.md",
        "---\ntitle: 私密\ndate: 2025-01-01\ntags: [zz]\n---\n\n私密内容。\n",
    )
    assert run("build").exit_code == 0
    assert (blog / "public" / "tags" / "zz" / "atom.xml").is_file()
    (blog / "public" / "tags" / "hugo-page").mkdir()
    (blog / "public" / "tags" / "hugo-page" / "index.html").write_text("not ours", encoding="utf-8")
    post = blog / "posts" / "secret.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("tags: [zz]", "tags: [zz]\ndraft: true"),
        encoding="utf-8",
    )
    assert run("build").exit_code == 0
    assert not (
        blog / "public" / "tags" / "zz"
    ).exists()  # a draft is not left public in a stale feed
    assert (
        blog / "public" / "tags" / "hugo-page" / "index.html"
    ).is_file()  # other files are left alone
    assert "私密内容" not in "".join(
        p.read_text(encoding="utf-8") for p in (blog / "public").rglob("*.xml")
    )


def test_tag_folder_names(blog: Path, run):
    from feedtool.feeds import term_folder

    assert (
        term_folder("多模态") == "多模态" and term_folder("Machine Learning") == "machine-learning"
    )
    assert term_folder("C#") != term_folder("C") and term_folder(".NET") != term_folder("NET")
    long_tag = "多" * 90
    assert len(term_folder(long_tag).encode()) <= 200 and term_folder(long_tag) != term_folder(
        long_tag + "x"
    )
    write_post(
        blog / "posts",
        "long.md",
        "---\ntitle: 长标签\ndate: 2025-01-01\ntags: [" + long_tag + ", C#, C]\n---\n\n正文。\n",
    )
    assert run("build").exit_code == 0
    titles = {
        feedparser.parse(p.read_bytes()).feed.title
        for p in (blog / "public" / "tags").glob("*/atom.xml")
    }
    assert {
        "pan 的博客 · 标签：C#",
        "pan 的博客 · 标签：C",
        f"pan 的博客 · 标签：{long_tag}",
    } <= titles


def _channels_as_written(site, published):
    """term_channels the plain way, to check the fast one against."""
    from feedtool import feeds, selection

    include = {t.lower() for t in site.tag_feeds.include}
    exclude = {t.lower() for t in site.tag_feeds.exclude}
    groups: dict[str, tuple[str, str, list[Any]]] = {}
    for kind, label in (("tags", "标签"), ("categories", "分类")):
        for post in published:
            terms = [
                (k, t) for k in ("tags", "categories") for t in dict.fromkeys(getattr(post, k))
            ]
            for term in [t for k, t in terms[: feeds.MAX_TERMS] if k == kind]:
                lowered = term.lower()
                if (include and lowered not in include) or lowered in exclude:
                    continue
                folder = f"{kind}/{feeds.term_folder(term)}/"
                _, _, posts = groups.setdefault(folder, (term, label, []))
                if post not in posts:
                    posts.append(post)
    kept = sorted(groups, key=lambda folder: (-len(groups[folder][2]), folder))[
        : selection.MAX_CHANNELS
    ]
    return [
        (
            feeds.Channel(
                folder,
                f"{site.title} · {groups[folder][1]}：{groups[folder][0]}",
                f"{site.title}中{groups[folder][1]}为“{groups[folder][0]}”的文章",
            ),
            groups[folder][2],
        )
        for folder in sorted(kept)
    ]


_TERMS = st.lists(
    st.sampled_from(["AI", "ai", "Ai", "多模态", "C#", "C", "go", "Go", "x"]), max_size=25
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_TERMS, _TERMS), max_size=8),
    st.sets(st.sampled_from(["ai", "go", "多模态"])),
    st.sets(st.sampled_from(["c", "x"])),
)
def test_term_channels_group_each_post_once_per_folder(terms: list, include: set, exclude: set):
    # Case variants share a folder, a post's repeated terms count once, its first 20 terms (tags
    # first) count.
    from datetime import datetime

    from feedtool import config, feeds, posts, selection

    site = config.loads(
        'title = "t"\nbase_url = "https://a.example"\n[tag_feeds]\n'
        f"include = {sorted(include)!r}\nexclude = {sorted(exclude)!r}\n".replace("'", '"')
    )
    date = datetime(2025, 1, 1, tzinfo=UTC)
    made = [
        posts.Post(
            path=f"p{n}.md",
            slug=f"p{n}",
            title="t",
            date=date,
            permalink=f"https://a.example/p{n}/",
            id=f"https://a.example/p{n}/",
            body="",
            body_line=5,
            tags=tuple(tags),
            categories=tuple(categories),
        )
        for n, (tags, categories) in enumerate(terms)
    ]
    # Small caps as well, so that both count here: 3 terms a post, 5 feeds in all.
    for per_post, channels in ((posts.MAX_TERMS, selection.MAX_CHANNELS), (3, 5)):
        with (
            mock.patch.object(feeds, "MAX_TERMS", per_post),
            mock.patch.object(selection, "MAX_CHANNELS", channels),
        ):
            assert selection.term_channels(site, made) == _channels_as_written(site, made)
