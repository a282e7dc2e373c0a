"""`feedtool build` on the sample blog: the feeds as independent readers see them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
from conftest import REPO, SCHEMAS, write_post
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
SAMPLE_TITLES = [
    "GLM-VL系列论文解析",
    "Reinforcement Learning With Vision Language Models",
    "Seed-VL系列论文解析",
    "Qwen-VL系列论文解析",
    "Deepseek系列论文解析",
]
SAMPLE_DATES = ["2025-08-24", "2025-06-22", "2025-06-02", "2025-03-12", "2025-03-01"]
CST = timezone(timedelta(hours=8))


@pytest.fixture
def built(blog: Path, run) -> Path:
    result = run("build")
    assert result.exit_code == 0, result.output
    return blog / "public"


SAMPLE_LINKS = [
    f"https://pan.example.com/posts/{slug}/"
    for slug in ("glm-vl", "rl-with-vlm", "seed-vl", "qwen-vl", "deepseek")
]


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml"])
def test_feedparser_reads_every_feed_cleanly(built: Path, name: str):
    feed = feedparser.parse((built / name).read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "pan 的博客"
    assert [e.title for e in feed.entries] == SAMPLE_TITLES
    assert [e.link for e in feed.entries] == SAMPLE_LINKS
    # feedparser normalizes to UTC: midnight in Shanghai is 16:00 the day before.
    published = [datetime(*e.published_parsed[:6]).replace(tzinfo=UTC) for e in feed.entries]
    assert [p.astimezone(CST).strftime("%Y-%m-%d %H:%M") for p in published] == [
        f"{d} 00:00" for d in SAMPLE_DATES
    ]
    for entry in feed.entries:
        assert entry.summary
        assert "论文" in entry.title or "Reinforcement" in entry.title


def test_newest_entry_is_glm_vl_at_midnight_shanghai(built: Path):
    atom = etree.parse(str(built / "atom.xml")).getroot()
    first = atom.find(f"{ATOM}entry")
    assert first.findtext(f"{ATOM}title") == "GLM-VL系列论文解析"
    assert first.findtext(f"{ATOM}published") == "2025-08-24T00:00:00+08:00"
    assert first.findtext(f"{ATOM}updated") == "2025-08-24T00:00:00+08:00"
    # The feed's updated time is the newest post's, not the clock's.
    assert atom.findtext(f"{ATOM}updated") == "2025-08-24T00:00:00+08:00"
    items = json.loads((built / "feed.json").read_text(encoding="utf-8"))["items"]
    assert items[0]["date_published"] == "2025-08-24T00:00:00+08:00"


def test_atom_structure_follows_the_rules(built: Path):
    atom = etree.parse(str(built / "atom.xml")).getroot()
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    links = atom.findall(f"{ATOM}link")
    assert (links[0].get("rel"), links[0].get("href")) == (
        "self",
        "https://pan.example.com/atom.xml",
    )
    assert (links[-1].get("rel"), links[-1].get("href")) == (
        "alternate",
        "https://pan.example.com/",
    )
    entry = atom.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == "https://pan.example.com/posts/glm-vl/"
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert entry.find(f"{ATOM}content").get("type") == "html"
    assert entry.find(f"{ATOM}author").findtext(f"{ATOM}name") == "pan"
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == [
        "多模态",
        "VLM",
        "GLM",
        "强化学习",
        "论文解析",
    ]
    content = entry.findtext(f"{ATOM}content")
    assert content.startswith("<p>发布GLM-4.1V-9B-Thinking")
    assert "<![CDATA[" not in (built / "atom.xml").read_text(encoding="utf-8")


def test_rss_dates_links_and_extensions(built: Path):
    rss = etree.parse(str(built / "rss.xml")).getroot()
    channel = rss.find("channel")
    assert channel.findtext("link") == "https://pan.example.com/"
    assert channel.findtext("language") == "zh-CN"
    assert channel.findtext("lastBuildDate") == "Sun, 24 Aug 2025 00:00:00 +0800"
    self_link = channel.find("{http://www.w3.org/2005/Atom}link")
    assert (self_link.get("rel"), self_link.get("href")) == (
        "self",
        "https://pan.example.com/rss.xml",
    )
    items = channel.findall("item")
    assert [i.findtext("pubDate") for i in items] == [
        "Sun, 24 Aug 2025 00:00:00 +0800",
        "Sun, 22 Jun 2025 00:00:00 +0800",
        "Mon, 02 Jun 2025 00:00:00 +0800",
        "Wed, 12 Mar 2025 00:00:00 +0800",
        "Sat, 01 Mar 2025 00:00:00 +0800",
    ]
    first = items[0]
    assert first.find("guid").get("isPermaLink") == "true"
    assert first.findtext("guid") == "https://pan.example.com/posts/glm-vl/"
    assert first.findtext("{http://purl.org/dc/elements/1.1/}creator") == "pan"
    assert first.find("author") is None  # RSS <author> must be an email address
    assert first.findtext("{http://purl.org/rss/1.0/modules/content/}encoded").startswith(
        "<p>发布GLM"
    )
    assert first.findtext("description")
    assert [c.text for c in first.findall("category")] == [
        "多模态",
        "VLM",
        "GLM",
        "强化学习",
        "论文解析",
    ]


def test_json_feed_is_utf8_and_complete(built: Path):
    raw = (built / "feed.json").read_text(encoding="utf-8")
    assert "\\u" not in raw and "论文解析" in raw
    feed = json.loads(raw)
    # feedparser 6.0 does not read JSON Feed; the same facts, read with json.
    assert [i["title"] for i in feed["items"]] == SAMPLE_TITLES
    assert [i["url"] for i in feed["items"]] == SAMPLE_LINKS
    assert [i["date_published"] for i in feed["items"]] == [
        f"{d}T00:00:00+08:00" for d in SAMPLE_DATES
    ]
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://pan.example.com/feed.json"
    assert feed["language"] == "zh-CN"
    item = feed["items"][0]
    assert item["id"] == item["url"] == "https://pan.example.com/posts/glm-vl/"
    assert item["content_html"].startswith("<p>发布GLM")
    assert "<" not in item["summary"] and item["summary"].endswith("…")
    assert item["tags"] == ["多模态", "VLM", "GLM", "强化学习", "论文解析"]
    assert item["authors"] == [{"name": "pan"}]


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/schemas is absent")
def test_atom_passes_the_relax_ng_schema(built: Path):
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    document = etree.parse(str(built / "atom.xml"))
    assert schema.validate(document), schema.error_log


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/schemas is absent")
def test_json_feed_passes_its_schema(built: Path):
    import jsonschema

    schema = json.loads((SCHEMAS / "jsonfeed-v1.1.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads((built / "feed.json").read_text(encoding="utf-8")), schema)


def test_two_builds_are_byte_identical(blog: Path, run, tmp_path: Path):
    assert run("build", "--out", str(tmp_path / "one")).exit_code == 0
    os.utime(blog / "posts" / "glm-vl.md")  # a touched file must not change anything
    assert run("build", "--out", str(tmp_path / "two")).exit_code == 0
    for name in ("atom.xml", "rss.xml", "feed.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml", "feed.json"])
def test_sample_feeds_match_golden_files(built: Path, name: str):
    produced = (built / name).read_bytes()
    if os.environ.get("FEEDTOOL_UPDATE_GOLDEN"):
        (GOLDEN / name).write_bytes(produced)
    assert produced == (GOLDEN / name).read_bytes(), (
        f"regenerate with FEEDTOOL_UPDATE_GOLDEN=1 after reviewing {name}"
    )


def test_limit_drafts_and_future_posts(blog: Path, run):
    write_post(
        blog / "posts",
        "draft.md",
        '---\ntitle: 草稿\ndate: "九月 1, 2025"\ndraft: true\n---\n\n还没写完。\n',
    )
    write_post(
        blog / "posts", "later.md", "---\ntitle: 未来\ndate: 2999-01-01\n---\n\n定时发布。\n"
    )
    result = run("build", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "later.md:3:7: warning FT203" in result.stderr
    feed = feedparser.parse((blog / "public" / "atom.xml").read_bytes())
    assert [e.title for e in feed.entries] == SAMPLE_TITLES[:2]


def test_feed_limit_from_config(blog: Path, run):
    config = blog / "feedtool.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("feed_limit = 20", "feed_limit = 3"),
        encoding="utf-8",
    )
    assert run("build").exit_code == 0
    feed = json.loads((blog / "public" / "feed.json").read_text(encoding="utf-8"))
    assert [i["title"] for i in feed["items"]] == SAMPLE_TITLES[:3]


def test_an_invalid_post_fails_the_build_and_writes_nothing(blog: Path, run):
    assert run("build").exit_code == 0
    before = {p: p.read_bytes() for p in (blog / "public").rglob("*") if p.is_file()}
    write_post(
        blog / "posts", "broken.md", '---\ntitle: 坏日期\ndate: "二月 30, 2025"\n---\n\n正文。\n'
    )
    write_post(blog / "posts", "notitle.md", "---\ndate: 2025-09-01\n---\n\n正文。\n")
    result = run("build")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(
        line.startswith('posts/broken.md:3:7: error FT201 date "二月 30, 2025": ') for line in lines
    ), lines
    assert "posts/notitle.md:1:1: error FT200 missing title" in lines
    assert "nothing was written" in result.stderr
    after = {p: p.read_bytes() for p in (blog / "public").rglob("*") if p.is_file()}
    assert after == before


def test_out_and_posts_options(blog: Path, run, tmp_path: Path):
    other = tmp_path / "elsewhere"
    write_post(other, "only.md", "---\ntitle: 唯一\ndate: 2025-01-02 10:30\n---\n\n内容。\n")
    result = run("build", "--posts", str(other), "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    feed = feedparser.parse((tmp_path / "site" / "rss.xml").read_bytes())
    assert [e.title for e in feed.entries] == ["唯一"]
    rss = etree.parse(str(tmp_path / "site" / "rss.xml")).getroot()
    assert rss.find("channel/item").findtext("pubDate") == "Thu, 02 Jan 2025 10:30:00 +0800"


def test_sample_posts_keep_the_chinese_dates_as_written():
    for path in sorted((REPO / "posts").glob("*.md")):
        front = path.read_text(encoding="utf-8").split("---")[1]
        assert "author: pan" in front
        date_line = next(line for line in front.splitlines() if line.startswith("date:"))
        assert "月" in date_line, f"{path.name}: {date_line}"


def test_rss_dates_use_the_site_offset_and_empty_feeds_no_clock(blog: Path, run, tmp_path: Path):
    write_post(
        blog / "posts", "utc.md", "---\ntitle: UTC\ndate: 2025-08-20T20:00:00Z\n---\n\n正文。\n"
    )
    assert run("build").exit_code == 0
    rss = etree.parse(str(blog / "public" / "rss.xml")).getroot()
    item = next(i for i in rss.iter("item") if i.findtext("title") == "UTC")
    assert item.findtext("pubDate") == "Thu, 21 Aug 2025 04:00:00 +0800"
    atom = etree.parse(str(blog / "public" / "atom.xml")).getroot()
    entry = next(e for e in atom.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "UTC")
    assert (
        entry.findtext(f"{ATOM}published") == "2025-08-20T20:00:00+00:00"
    )  # Atom keeps the written offset
    empty = tmp_path / "empty"
    write_post(empty, "draft.md", "---\ntitle: d\ndate: 2025-01-01\ndraft: true\n---\n\nx\n")
    outputs = []
    for out in ("e1", "e2"):
        assert run("build", "--posts", str(empty), "--out", str(tmp_path / out)).exit_code == 0
        outputs.append((tmp_path / out / "atom.xml").read_bytes())
    assert (
        outputs[0] == outputs[1] and b"<updated>1970-01-01T00:00:00+00:00</updated>" in outputs[0]
    )


def test_atom_has_an_author_even_when_none_is_configured(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "无名博客"\nbase_url = "https://n.example.com"\n', encoding="utf-8"
    )
    write_post(tmp_path / "posts", "a.md", "---\ntitle: a\ndate: 2025-01-01\n---\n\n正文。\n")
    assert run("build").exit_code == 0
    atom = etree.parse(str(tmp_path / "public" / "atom.xml")).getroot()
    assert atom.find(f"{ATOM}author/{ATOM}name").text == "无名博客"
