"""Permalinks as Hugo, Hexo and Jekyll publish them, and which files are their posts."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from conftest import write_post


def links(root: Path, run, *, code: int = 0) -> dict[str, str]:
    """Build the site in `root` (no feedtool.toml) and return each entry's title -> link."""
    result = run("build", "--out", str(root / "public"))
    assert result.exit_code == code, result.output
    parsed = feedparser.parse((root / "public" / "atom.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return {entry.title: entry.link for entry in parsed.entries}


def post(title: str, date: str, extra: str = "") -> str:
    return f'---\ntitle: "{title}"\ndate: {date}\n{extra}---\n\n正文。\n'


@pytest.fixture
def hugo(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "hugo"
    (root / "content").mkdir(parents=True)
    (root / "hugo.toml").write_text(
        'baseURL = "https://h.example/"\ntitle = "H"\ntimeZone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    return root


def test_hugo_urls_keep_the_folders_of_nested_sections(hugo: Path, run):
    content = hugo / "content"
    write_post(content, "posts/java/feature/x.md", post("Java X", "2025-08-01T10:00:00"))
    write_post(
        content, "posts/go/feature/x.md", post("Go X", "2025-08-02T10:00:00")
    )  # same name: no FT208
    write_post(content, "posts/Mixed Case.md", post("大小写", "2025-08-03T10:00:00"))
    write_post(content, "posts/slugged.md", post("自定", "2025-08-04T10:00:00", "slug: my-slug\n"))
    write_post(content, "notes/n.md", post("笔记", "2025-08-05T10:00:00"))
    write_post(content, "about.md", post("关于", "2025-08-06T10:00:00"))  # a root page: not a post
    write_post(content, "_index.md", post("首页", "2025-08-06T10:00:00"))
    write_post(content, "posts/_index.md", post("文章", "2025-08-06T10:00:00"))
    assert links(hugo, run) == {
        "Java X": "https://h.example/posts/java/feature/x/",
        "Go X": "https://h.example/posts/go/feature/x/",
        "大小写": "https://h.example/posts/mixed-case/",
        "自定": "https://h.example/posts/my-slug/",
        "笔记": "https://h.example/notes/n/",
    }


def test_hugo_page_bundles_multilingual_index_and_resources(hugo: Path, run):
    content = hugo / "content"
    write_post(content, "posts/trip/index.zh-cn.md", post("旅行", "2025-08-01T10:00:00"))
    write_post(
        content, "posts/trip/notes.md", post("资源", "2025-08-02T10:00:00")
    )  # a bundle's resource
    write_post(content, "posts/trip/more/deep.md", post("更深", "2025-08-02T10:00:00"))
    write_post(content, "posts/2025/bundle/index.md", post("包", "2025-08-03T10:00:00"))
    assert links(hugo, run) == {
        "旅行": "https://h.example/posts/trip/",
        "包": "https://h.example/posts/2025/bundle/",
    }


def test_hugo_permalinks_placeholders(hugo: Path, run):
    config = hugo / "hugo.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "[permalinks]\nposts = "
        "'/:sections/:year/:monthname/:day/:filename/:slug/'\n",
        encoding="utf-8",
    )
    content = hugo / "content"
    write_post(content, "posts/java/_index.md", post("Java", "2025-01-01"))  # java is a section
    write_post(
        content, "posts/java/plain/a.md", post("Hello World", "2025-03-04T10:00:00")
    )  # plain: not
    write_post(content, "posts/b.md", post("B 标题", "2025-03-05T10:00:00", "slug: Bee\n"))
    write_post(content, "posts/bundle/index.md", post("Bundle", "2025-03-06T10:00:00"))
    assert links(hugo, run) == {
        # :slug is the slug, else the title (Hugo's pageToPermalinkSlugElseTitle); :filename the
        # file's name.
        "Hello World": "https://h.example/posts/java/2025/march/04/a/hello-world/",
        "B 标题": "https://h.example/posts/2025/march/05/b/bee/",
        "Bundle": "https://h.example/posts/2025/march/06/bundle/bundle/",
    }
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "/:sections/:year/:monthname/:day/:filename/:slug/",
            "/:section/:contentbasename/:slugorcontentbasename/",
        ),
        encoding="utf-8",
    )
    assert links(hugo, run)["B 标题"] == "https://h.example/posts/b/bee/"


@pytest.fixture
def hexo(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "hexo"
    (root / "source" / "_posts").mkdir(parents=True)
    (root / "scaffolds").mkdir()
    monkeypatch.chdir(root)
    return root


def hexo_config(root: Path, extra: str) -> None:
    (root / "_config.yml").write_text(
        f"title: X\nurl: https://x.example\ntimezone: Asia/Shanghai\n{extra}", encoding="utf-8"
    )


def test_hexo_abbrlink_and_any_front_matter_placeholder(hexo: Path, run):
    hexo_config(hexo, "permalink: posts/:abbrlink.html\n")
    posts = hexo / "source" / "_posts"
    write_post(posts, "a.md", post("A", "2025-08-01 10:00:00", "abbrlink: 4a17b156\n"))
    write_post(posts, "b.md", post("B", "2025-08-02 10:00:00", "abbrlink: 1234\n"))
    assert links(hexo, run) == {
        "A": "https://x.example/posts/4a17b156.html",
        "B": "https://x.example/posts/1234.html",
    }
    write_post(posts, "c.md", post("C", "2025-08-03 10:00:00"))
    result = run("build", "--out", str(hexo / "public"))
    assert result.exit_code == 1
    assert (
        "c.md:1:1: error FT207 the permalink uses :abbrlink, which this post does not set"
        in result.output
    )


def test_hexo_built_in_placeholders_and_defaults(hexo: Path, run, monkeypatch):
    monkeypatch.setenv(
        "TZ", "Asia/Shanghai"
    )  # Hexo writes a permalink's date in the machine's zone
    hexo_config(
        hexo,
        "permalink: :lang/:year/:month/:day/:i_month/:i_day/:hour/:minute/:second/"
        ":category/:title/:name/:post_title\npermalink_defaults:\n  lang: zh\n"
        "post_asset_folder: true\n",
    )
    posts = hexo / "source" / "_posts"
    write_post(
        posts,
        "Hello World.md",
        post("Hello, World! 你好", "2025-08-04 09:05:06", "categories: [技术, Python]\n"),
    )
    write_post(posts, "sub/two.md", post("Two", "2025-08-05 09:05:06", "lang: en\n"))
    assert links(hexo, run) == {
        # :category is the last category with its parents; :title the path under _posts
        "Hello, World! 你好": "https://x.example/zh/2025/08/04/8/4/09/05/06/%E6%8A%80%E6%9C%AF/Python/"
        "Hello%20World/Hello%20World/hello-world-%E4%BD%A0%E5%A5%BD/",
        "Two": "https://x.example/en/2025/08/05/8/5/09/05/06/uncategorized/sub/two/two/two/",
    }


@pytest.fixture
def jekyll(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "jekyll"
    (root / "_posts").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def jekyll_config(root: Path, permalink: str) -> None:
    (root / "_config.yml").write_text(
        f"title: J\nurl: https://j.example\nbaseurl: /blog\ntimezone: Asia/Shanghai\n"
        f"permalink: {permalink}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    "style, expected",
    [
        # Jekyll's documented styles, for _posts/2025-08-04-Hello World!.md in category "Dev Notes"
        ("date", "/dev%20notes/2025/08/04/Hello-World!.html"),
        ("pretty", "/dev%20notes/2025/08/04/Hello-World!/"),
        ("ordinal", "/dev%20notes/2025/216/Hello-World!.html"),
        ("weekdate", "/dev%20notes/2025/W32/Mon/Hello-World!.html"),
        ("none", "/dev%20notes/Hello-World!.html"),
        (
            "/:categories/:short_year/:i_month/:i_day/:slug/:y_day:output_ext",
            "/dev%20notes/25/8/4/hello-world/216.html",
        ),
        (
            "/:year/:hour:minute:second/:long_month/:name/",
            "/2025/170506/August/2025-08-04-hello-world/",
        ),  # zone-less YAML time: UTC, shown in the site zone (real jekyll)
    ],
)
def test_jekyll_permalink_styles(jekyll: Path, run, style: str, expected: str):
    jekyll_config(jekyll, style)
    write_post(
        jekyll,
        "_posts/2025-08-04-Hello World!.md",
        '---\ntitle: 你好\ndate: 2025-08-04 09:05:06\ncategories: ["Dev Notes"]\n---\n\n正文。\n',
    )
    assert links(jekyll, run) == {"你好": "https://j.example/blog" + expected}


def test_jekyll_posts_in_sub_folders_markdown_files_and_dateless_files(jekyll: Path, run):
    jekyll_config(jekyll, "pretty")
    write_post(jekyll, "_posts/2025/2025-08-01-same.markdown", post("同名", "2025-08-01"))
    write_post(
        jekyll, "_posts/2025-08-02-same.md", post("同名", "2025-08-02")
    )  # same title, another day
    write_post(jekyll, "_posts/template.md", "---\ntitle: {{ title }}\n---\n")  # Jekyll ignores it
    write_post(jekyll, "_posts/_draft-2025-08-03-x.md", post("草稿", "2025-08-03"))
    assert links(jekyll, run)  # builds: the same slug and title on two days are two URLs
    parsed = feedparser.parse((jekyll / "public" / "atom.xml").read_bytes())
    assert [e.link for e in parsed.entries] == [
        "https://j.example/blog/2025/08/02/same/",
        "https://j.example/blog/2025/08/01/same/",
    ]
    assert run("validate").exit_code == 0
