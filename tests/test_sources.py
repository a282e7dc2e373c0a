"""Hugo, Hexo and Jekyll blogs read as they are, with no feedtool.toml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
from conftest import SCHEMAS, post_of
from lxml import etree

from feedtool import config, sources
from feedtool.errors import ConfigError

SITES = Path(__file__).parent / "data" / "sites"


@pytest.fixture
def site(tmp_path: Path, monkeypatch, request) -> Path:
    root = tmp_path / request.param
    shutil.copytree(SITES / request.param, root)
    monkeypatch.chdir(root)
    return root


def feed(root: Path, name: str = "atom.xml"):
    parsed = feedparser.parse((root / "public" / name).read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


@pytest.mark.parametrize("site", ["hugo"], indirect=True)
def test_hugo_site(site: Path, run):
    assert run("validate").exit_code == 0
    result = run("build")
    assert result.exit_code == 0, result.output
    parsed = feed(site)
    assert parsed.feed.title == "Hugo 中文博客" and parsed.feed.language == "zh-CN"
    entries = {e.title: e for e in parsed.entries}
    assert list(entries) == [
        "GLM-VL系列论文解析",
        "页面包里的文章",
        "TOML 写的文章",
        "JSON 写的文章",
        "自定义地址",
    ]
    glm = entries["GLM-VL系列论文解析"]
    # [permalinks] posts = "/:year/:month/:slugorfilename/"
    assert glm.link == "https://hugo.example.com/2025/08/glm-vl/"
    assert (
        glm.published == "2025-08-24T00:00:00+08:00" and glm.updated == "2025-08-26T09:30:00+08:00"
    )  # lastmod
    assert (
        glm.media_content[0]["url"] == "https://hugo.example.com/images/glm-cover.png"
    )  # cover.image
    assert "https://hugo.example.com/images/glm-arch.png" in glm.content[0].value
    assert glm.summary == "<p>发布GLM-4.1V-9B-Thinking和GLM-4.5V两个模型。</p>"  # <!--more-->
    bundle = entries["页面包里的文章"]
    assert (
        bundle.link == "https://hugo.example.com/2025/08/bundle-post/"
    )  # the bundle's folder is the slug
    assert (
        bundle.media_content[0]["url"] == "https://hugo.example.com/2025/08/bundle-post/cover.png"
    )
    content = bundle.content[0].value
    assert 'src="https://hugo.example.com/2025/08/bundle-post/images/fig1.png"' in content
    items = json.loads((site / "public" / "feed.json").read_text(encoding="utf-8"))["items"]
    # feedparser's own sanitizer drops srcset, so look in the JSON Feed for it.
    assert (
        "https://hugo.example.com/2025/08/bundle-post/diagram@2x.png 2x" in items[1]["content_html"]
    )
    assert entries["TOML 写的文章"].link == "https://hugo.example.com/2025/08/toml-slug/"
    assert entries["TOML 写的文章"].summary == "<p>手写的摘要。</p>"
    assert entries["自定义地址"].link == "https://hugo.example.com/special/custom-url/"  # url:
    titles = set(entries)
    assert not titles & {
        "草稿",
        "定时",
        "过期",
        "关于",
        "文章",
        "首页",
    }  # draft, publishDate, expiryDate, not posts
    assert (site / "public" / "tags" / "多模态" / "atom.xml").is_file()
    assert (site / "public" / "categories" / "论文" / "rss.xml").is_file()


@pytest.mark.parametrize("site", ["hexo"], indirect=True)
def test_hexo_site(site: Path, run):
    assert run("validate", "--strict").exit_code == 0
    assert run("build").exit_code == 0
    parsed = feed(site)
    assert parsed.feed.title == "Hexo 技术博客" and parsed.feed.author == "hexo 作者"
    first, second = parsed.entries
    assert first.title == "Hello World 你好"
    assert (
        first.link == "https://hexo.example.com/2025/08/24/hello-world/"
    )  # :year/:month/:day/:title/
    assert (
        first.published == "2025-08-24T10:00:00+08:00"
        and first.updated == "2025-08-25T12:00:00+08:00"
    )
    assert [t.term for t in first.tags] == [
        "Hexo",
        "入门",
        "技术",
        "Python",
        "生活",
    ]  # nested categories
    assert (
        'src="https://hexo.example.com/2025/08/24/hello-world/pic.png"' in first.content[0].value
    )  # asset folder
    assert first.summary == "<p>第一段是摘要。</p>"  # <!-- more -->
    assert second.link == "https://hexo.example.com/special/page/"  # permalink:
    assert [t.term for t in second.tags] == ["单个标签"]
    assert "未发布" not in [e.title for e in parsed.entries]  # published: false


@pytest.mark.parametrize("site", ["jekyll"], indirect=True)
def test_jekyll_site(site: Path, run):
    assert run("validate", "--strict").exit_code == 0
    assert run("build").exit_code == 0
    parsed = feed(site)
    assert parsed.feed.title == "Jekyll 博客" and parsed.feed.author == "jk"
    welcome, second = parsed.entries
    # Date from the file name; categories in the URL (permalink: pretty); baseurl kept.
    assert welcome.published == "2025-08-24T00:00:00+08:00"
    assert (
        welcome.link
        == "https://jekyll.example.com/blog/%E6%8A%80%E6%9C%AF/%E7%AC%94%E8%AE%B0/2025/08/24/welcome/"
    )
    assert [t.term for t in welcome.tags] == [
        "jekyll",
        "入门",
        "技术",
        "笔记",
    ]  # space-separated strings
    assert (
        welcome.summary == "<p>这是第一段，也是摘要。</p>"
    )  # excerpt_separator: the first paragraph
    assert second.link == "https://jekyll.example.com/blog/2025/08/20/second-post/"
    assert (
        second.published == "2025-08-20T21:15:00+08:00"
        and second.updated == "2025-08-22T00:00:00+08:00"
    )
    assert [e.title for e in parsed.entries] == [
        "欢迎来到 Jekyll",
        "第二篇",
    ]  # published: false, _drafts


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/schemas is absent")
@pytest.mark.parametrize("site", ["hugo", "hexo", "jekyll"], indirect=True)
def test_generator_sites_pass_the_schemas(site: Path, run):
    import jsonschema

    assert run("build").exit_code == 0
    atom_schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    json_schema = json.loads((SCHEMAS / "jsonfeed-v1.1.schema.json").read_text(encoding="utf-8"))
    for atom in (site / "public").rglob("atom.xml"):
        assert atom_schema.validate(etree.parse(str(atom))), (atom, atom_schema.error_log)
    for json_feed in (site / "public").rglob("feed.json"):
        jsonschema.validate(json.loads(json_feed.read_text(encoding="utf-8")), json_schema)
    feed(site, "rss.xml")


@pytest.mark.parametrize("site", ["hugo"], indirect=True)
def test_feedtool_toml_overrides_the_blog_config(site: Path, run):
    (site / "feedtool.toml").write_text('title = "另一个名字"\nfeed_limit = 2\n', encoding="utf-8")
    assert run("build").exit_code == 0
    parsed = feed(site)
    assert parsed.feed.title == "另一个名字" and len(parsed.entries) == 2
    assert (
        parsed.entries[0].link == "https://hugo.example.com/2025/08/glm-vl/"
    )  # base_url still from hugo.toml


def test_detection_and_settings(tmp_path: Path):
    assert sources.detect(SITES / "hugo") == "hugo"
    assert sources.detect(SITES / "hexo") == "hexo"
    assert sources.detect(SITES / "jekyll") == "jekyll"
    assert sources.detect(tmp_path) == "plain"
    hugo = config.load(None, SITES / "hugo")
    assert (hugo.source, hugo.base_url, hugo.language, hugo.author) == (
        "hugo",
        "https://hugo.example.com",
        "zh-CN",
        "pan",
    )
    assert hugo.posts == (SITES / "hugo" / "content").absolute()  # its root pages are no posts
    jekyll = config.load(None, SITES / "jekyll")
    assert (
        jekyll.base_url == "https://jekyll.example.com/blog" and jekyll.excerpt_separator == "\n\n"
    )
    for raw, tag in (
        ("zh-cn", "zh-CN"),
        ("zh_TW", "zh-TW"),
        ("zh-hans-cn", "zh-Hans-CN"),
        ("en", "en"),
    ):
        assert sources._bcp47(raw) == tag


def test_blog_config_errors_name_the_blog_file(tmp_path: Path):
    root = tmp_path / "bad"
    shutil.copytree(SITES / "hugo", root)
    (root / "hugo.toml").write_text(
        'baseURL = "https://x.example.com/"\ntitle = "t"\ntimeZone = "Asia/Beijing"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        config.load(None, root)
    assert "hugo.toml" in str(caught.value) and "Asia/Beijing" in str(caught.value)
    (root / "hugo.toml").write_text('title = "t"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(None, root)
    assert "missing required key 'base_url' (or set it in hugo.toml)" in str(caught.value)


def test_no_config_and_no_blog_is_a_clear_error(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 2 and "no feedtool.toml" in result.stderr


@pytest.mark.parametrize("site", ["hugo"], indirect=True)
def test_hugo_title_and_file_name_urls(site: Path, run):
    root = site
    config_file = root / "hugo.toml"
    config_file.write_text(
        config_file.read_text(encoding="utf-8").replace(
            '"/:year/:month/:slugorfilename/"', '"/:year/:title/"'
        ),
        encoding="utf-8",
    )
    (root / "content" / "posts" / "Hello World.md").write_text(
        '---\ntitle: "Hello, World! 你好"\ndate: 2025-07-01\n---\n\n正文。\n', encoding="utf-8"
    )
    assert run("build").exit_code == 0
    links = {e.title: e.link for e in feed(root).entries}
    assert (
        links["Hello, World! 你好"]
        == "https://hugo.example.com/2025/hello-world-%E4%BD%A0%E5%A5%BD/"
    )
    assert (
        links["GLM-VL系列论文解析"]
        == "https://hugo.example.com/2025/glm-vl%E7%B3%BB%E5%88%97%E8%AE%BA%E6%96%87%E8%A7%A3%E6%9E%90/"
    )
    assert sources.default_slug("hugo", "content/posts/Hello World.md") == "hello-world"


def test_long_permalink_tokens_are_not_read_as_short_ones():
    assert sources._hugo_pattern("/:year/:slugorfilename/") == "/{year}/{slug}/"
    assert sources._hugo_pattern(":sections/:slugorcontentbasename") == "/{sections}/{slug}"
    pattern = sources.post_pattern("/:slugified_categories/:title/", "jekyll")
    assert pattern == "{base_url}/{categories}/{title}/"


@pytest.mark.parametrize("site", ["hexo"], indirect=True)
def test_hexo_categories_that_are_not_text_are_a_finding_not_a_crash(site: Path, run):
    posts = site / "source" / "_posts"
    (posts / "nested.md").write_text(
        "---\ntitle: 嵌套\ndate: 2025-08-01\ncategories: [[技术, Python], 生活, [技术]]\n---\n\n"
        "正文\n",
        encoding="utf-8",
    )
    (posts / "mapping.md").write_text(
        "---\ntitle: 映射\ndate: 2025-08-02\ncategories: [{a: 1}]\n---\n\n正文\n", encoding="utf-8"
    )
    result = run("validate", str(posts / "nested.md"), str(posts / "mapping.md"))
    assert result.exit_code == 1
    assert (
        "mapping.md:4:13: error FT205 'categories' must be a list of strings, got a list"
        in result.output
    )
    assert "internal error" not in result.output and "nested.md" not in result.output
    site_config = config.load(None, site)
    from feedtool.posts import load

    assert post_of(load(posts / "nested.md", site_config)).categories == ("技术", "Python", "生活")


def test_a_plain_blog_reads_posts_brought_from_a_generator(blog: Path, run):
    # A Hexo draft (published: false) must not be published by a plain posts/ folder; Hugo's
    # lastmod and Jekyll's last_modified_at are its `updated`; Jekyll's category its categories.
    from conftest import write_post

    write_post(
        blog / "posts",
        "hexo-draft.md",
        "---\ntitle: 草稿\ndate: 2025-08-30\npublished: false\n---\n\n未完成。\n",
    )
    write_post(
        blog / "posts",
        "hugo.md",
        "---\ntitle: 更新过\ndate: 2025-08-29\nlastmod: 2025-09-01T12:00:00Z\n---\n\n正文。\n",
    )
    write_post(
        blog / "posts",
        "jekyll.md",
        "---\ntitle: 分类\ndate: 2025-08-28\nlast_modified_at: 2025-08-31\ncategory: 随笔\n---\n\n"
        "正文。\n",
    )
    assert run("build").exit_code == 0
    feed = feedparser.parse((blog / "public" / "atom.xml").read_bytes())
    entries = {entry.title: entry for entry in feed.entries}
    assert "草稿" not in entries and "未完成" not in (blog / "public" / "atom.xml").read_text(
        encoding="utf-8"
    )
    assert entries["更新过"].updated == "2025-09-01T12:00:00+00:00"
    assert entries["分类"].updated.startswith("2025-08-31")
    assert [t.term for t in entries["分类"].tags] == ["随笔"]
