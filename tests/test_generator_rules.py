"""Hugo, Hexo and Jekyll sites read as their own generators read them: zones, what is
published, summaries, titles, warnings, `init` and a config-less `validate`."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from conftest import write_site

from feedtool import sources
from feedtool.errors import ConfigError


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
    root = write_site(
        tmp_path / "hugo",
        {
            "hugo.toml": HUGO,
            "content/posts/a.md": post("时间", "2025-08-24T10:00:00"),
            "content/posts/b.md": post("日期", "2025-08-24"),
            "content/posts/c.md": (
                '+++\ntitle = "本地"\ndate = 2025-08-20T09:30:00\n+++\n\n正文。\n'
            ),
            "content/posts/d.md": post("带时区", "2025-08-19T10:00:00+08:00"),
        },
    )
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
def test_hexo_and_jekyll_without_timezone_use_the_machine_zone_and_say_so(
    tmp_path, monkeypatch, run, kind
):
    monkeypatch.setenv("TZ", "America/New_York")
    posts = "source/_posts/hello.md" if kind == "hexo" else "_posts/2025-08-24-hello.md"
    root = write_site(
        tmp_path / kind,
        {
            "_config.yml": HEXO if kind == "hexo" else JEKYLL,
            posts: post("你好", "2025-08-24 10:00"),
            **({"scaffolds/post.md": "---\n---\n"} if kind == "hexo" else {}),
        },
    )
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert entries(root)["你好"].published == "2025-08-24T10:00:00-04:00"
    warnings = [line for line in result.stderr.splitlines() if "timezone" in line]
    assert warnings == [
        "warning: _config.yml sets no timezone: dates without one are read in "
        f"America/New_York, the zone of this machine (from TZ), as {kind.title()} does; "
        "pin it with 'timezone: America/New_York' in _config.yml or feedtool.toml"
    ]
    # Pinned in the blog's config: that zone, and no warning.
    pinned = (HEXO if kind == "hexo" else JEKYLL) + "timezone: Asia/Tokyo\n"
    (root / "_config.yml").write_text(pinned, encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0 and "timezone" not in result.stderr
    assert entries(root)["你好"].published == "2025-08-24T10:00:00+09:00"


def test_init_pins_the_machine_zone(tmp_path, monkeypatch, run):
    monkeypatch.setenv("TZ", "Europe/Paris")
    root = write_site(
        tmp_path / "j",
        {"_config.yml": JEKYLL, "_posts/2025-08-24-a.md": post("甲", "2025-08-24 10:00")},
    )
    monkeypatch.chdir(root)
    assert run("init").exit_code == 0
    assert 'timezone = "Europe/Paris"' in (root / "feedtool.toml").read_text(encoding="utf-8")
    monkeypatch.setenv("TZ", "UTC")  # built elsewhere later: the zone the blog was written in holds
    result = run("build")
    assert result.exit_code == 0 and "timezone" not in result.stderr
    assert entries(root)["甲"].published == "2025-08-24T10:00:00+02:00"


@pytest.mark.parametrize(
    ("tz", "zone"),
    [
        (":Asia/Shanghai", "Asia/Shanghai"),
        ("CST-8", "Etc/GMT-8"),
        ("EST+5", "Etc/GMT+5"),
        ("UTC0", "UTC"),
        ("", "UTC"),
        ("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo"),
    ],
)
def test_machine_zone_reads_tz_as_the_c_library_does(monkeypatch, tz, zone):
    monkeypatch.setenv("TZ", tz)
    assert sources.machine_zone() == (zone, "TZ")


def test_a_tz_that_names_no_zone_is_a_config_error(tmp_path, monkeypatch, run):
    monkeypatch.setenv("TZ", "Mars/Olympus")
    with pytest.raises(ConfigError, match="TZ environment variable"):
        sources.machine_zone()
    root = write_site(
        tmp_path / "j", {"_config.yml": JEKYLL, "_posts/2025-08-24-a.md": post("甲", "2025-08-24")}
    )
    monkeypatch.chdir(root)
    result = run("build")
    assert (
        result.exit_code == 2
        and "Mars/Olympus" in result.stderr
        and "internal error" not in result.stderr
    )


def test_a_plain_folder_keeps_the_configured_zone(blog, monkeypatch, run):
    monkeypatch.setenv("TZ", "America/New_York")
    (blog / "posts" / "zone.md").write_text(post("区", "2025-08-27 10:00"), encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0 and "timezone" not in result.stderr
    assert entries(blog)["区"].published == "2025-08-27T10:00:00+08:00"


# 3. What is published ----------------------------------------------------------------------------


def all_output(root: Path) -> str:
    """Every file written under public/, as one text."""
    files = (path for path in (root / "public").rglob("*") if path.is_file())
    return "".join(path.read_text(encoding="utf-8", errors="replace") for path in files)


def test_hugo_dates_fall_back_as_its_default_frontmatter_config(tmp_path, monkeypatch, run):
    root = write_site(
        tmp_path / "hugo",
        {
            "hugo.toml": HUGO,
            "content/posts/lastmod.md": (
                "---\ntitle: 只有修改\nlastmod: 2025-08-20T10:00:00\n---\n\n正文。\n"
            ),
            "content/posts/pub.md": (
                "---\ntitle: 发布日\nPublishDate: 2025-08-21\nlastmod: 2025-08-22\n---\n\n正文。\n"
            ),
            "content/posts/pubdate.md": "---\ntitle: 别名\npubdate: 2025-08-18\n---\n\n正文。\n",
            "content/posts/modified.md": "---\ntitle: 改过\nmodified: 2025-08-19\n---\n\n正文。\n",
        },
    )
    monkeypatch.chdir(root)
    result = run("build")
    assert result.exit_code == 0, result.output
    found = entries(root)
    assert found["只有修改"].published == "2025-08-20T10:00:00+00:00"
    assert found["发布日"].published == "2025-08-21T00:00:00+00:00"
    assert found["发布日"].updated == "2025-08-22T00:00:00+00:00"
    assert found["别名"].published == "2025-08-18T00:00:00+00:00"
    assert found["改过"].published == "2025-08-19T00:00:00+00:00"


def test_hugo_build_options_and_headless_pages_are_not_published(tmp_path, monkeypatch, run):
    hidden = {
        "never.md": "_build:\n  list: never\n",
        "local.md": "build:\n  list: local\n",
        "render.md": "build:\n  render: never\n",
        "old.md": "_build:\n  list: false\n",
        "headless.md": "headless: true\n",
    }
    root = write_site(
        tmp_path / "hugo",
        {
            "hugo.toml": HUGO,
            "content/posts/shown.md": post("公开", "2025-08-20", "tags: [标签]\n"),
            "content/posts/link.md": post("只链接", "2025-08-20", "build:\n  render: link\n"),
            **{
                f"content/posts/{name}": post(
                    f"隐藏{name}", "2025-08-21", extra + "tags: [标签]\n", "秘密正文"
                )
                for name, extra in hidden.items()
            },
        },
    )
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    assert run("digest", "--week", "2025-W34").exit_code == 0
    assert set(entries(root)) == {"公开", "只链接"}
    assert set(entries(root, "tags/标签/atom.xml")) == {"公开"}
    assert "秘密正文" not in all_output(root) and "隐藏" not in all_output(root)


def test_hexo_posts_kept_private_by_plugins_are_never_published(tmp_path, monkeypatch, run):
    private = {
        "hidden.md": "hidden: true\n",
        "password.md": "password: s3cret\n",
        "encrypt.md": "encrypt: true\n",
        "tagged.md": "tags: [日记]\n",
    }
    settings = (
        HEXO + "timezone: Asia/Shanghai\nencrypt:\n  tags:\n    - {name: 日记, password: abc}\n"
    )
    root = write_site(
        tmp_path / "hexo",
        {
            "_config.yml": settings,
            "scaffolds/post.md": "---\n---\n",
            "source/_posts/open.md": post("公开", "2025-08-20", "tags: [技术]\npassword: ''\n"),
            "source/_posts/draft.md": post("草稿", "2025-08-20", "published: false\n", "秘密正文"),
            "source/_drafts/wip.md": post("未完成", "2025-08-20", "", "秘密正文"),
            **{
                f"source/_posts/{name}": post(
                    f"私密{name}", "2025-08-21", extra + "categories: [技术]\n", "秘密正文"
                )
                for name, extra in private.items()
            },
        },
    )
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    assert run("digest", "--week", "2025-W34").exit_code == 0
    assert set(entries(root)) == {"公开"}
    assert set(entries(root, "tags/技术/atom.xml")) == {"公开"}
    assert not (root / "public" / "categories").exists()  # only private posts had a category
    assert "秘密正文" not in all_output(root) and "私密" not in all_output(root)
    # hexo-hide-posts' key renamed: that key hides, `hidden` is an ordinary key.
    (root / "_config.yml").write_text(settings + "hide_posts:\n  filter: sage\n", encoding="utf-8")
    (root / "source/_posts/sage.md").write_text(
        post("隐藏", "2025-08-22", "sage: true\n"), encoding="utf-8"
    )
    assert run("build").exit_code == 0
    assert set(entries(root)) == {"公开", "私密hidden.md"}


def test_jekyll_future_posts_are_published_only_with_future_true(tmp_path, monkeypatch, run):
    root = write_site(
        tmp_path / "j",
        {
            "_config.yml": JEKYLL + "timezone: UTC\n",
            "_posts/2025-08-24-now.md": post("现在", "2025-08-24"),
            "_posts/2999-01-01-later.md": post("将来", "2999-01-01"),
            "_drafts/draft.md": post("草稿", "2025-08-24"),
        },
    )
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    assert set(entries(root)) == {"现在"}  # Jekyll's default: future: false
    (root / "_config.yml").write_text(JEKYLL + "timezone: UTC\nfuture: true\n", encoding="utf-8")
    result = run("validate", "--strict")
    assert result.exit_code == 0, result.output  # no FT203: the site publishes it
    assert run("build").exit_code == 0
    assert set(entries(root)) == {"现在", "将来"}


# 4. Summaries ------------------------------------------------------------------------------------


def test_summaries_as_the_generators_feeds_show_them(tmp_path, monkeypatch, run):
    image_first = "![封面](/cover.png)\n\n第一段文字。\n\n第二段。"
    root = write_site(
        tmp_path / "hugo",
        {
            "hugo.toml": HUGO,
            "content/posts/both.md": post(
                "两者",
                "2025-08-20",
                "description: 描述优先\nsummary: 手写摘要\n",
                "正文第一段。\n\n<!--more-->\n\n后文。",
            ),
            "content/posts/summary.md": post("摘要", "2025-08-19", "summary: 手写摘要\n", "正文。"),
            "content/posts/empty.md": post(
                "空描述", "2025-08-18", "description: ''\n", "前文。\n\n<!--more-->\n\n后文。"
            ),
            "content/posts/image.md": post(
                "图片", "2025-08-17", "", "![封面](/cover.png)\n\n<!--more-->\n\n正文文字。"
            ),
        },
    )
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    found = entries(root)
    assert found["两者"].summary == "<p>描述优先</p>"
    assert found["摘要"].summary == "<p>手写摘要</p>"
    assert found["空描述"].summary == "<p>前文。</p>"
    assert "<img" not in found["图片"].summary and "正文文字。" in found["图片"].summary

    jekyll = write_site(
        tmp_path / "j",
        {
            "_config.yml": JEKYLL + "timezone: UTC\n",
            "_posts/2025-08-24-desc.md": post(
                "描述", "2025-08-24", "description: 一句话\nexcerpt: 节选\n", "正文。"
            ),
            "_posts/2025-08-23-excerpt.md": post(
                "节选", "2025-08-23", "excerpt: 手写节选\n", "正文。"
            ),
            "_posts/2025-08-21-image.md": post("图在前", "2025-08-21", "", image_first),
        },
    )
    monkeypatch.chdir(jekyll)
    assert run("build").exit_code == 0
    found = entries(jekyll)
    assert found["描述"].summary == "<p>一句话</p>"
    assert found["节选"].summary == "<p>手写节选</p>"
    # Jekyll's excerpt is the first paragraph, here only an image: the first text instead.
    assert "<img" not in found["图在前"].summary and "第一段文字。" in found["图在前"].summary

    hexo = write_site(
        tmp_path / "hexo",
        {
            "_config.yml": HEXO + "timezone: UTC\n",
            "scaffolds/post.md": "---\n---\n",
            "source/_posts/a.md": post(
                "海", "2025-08-24", "description: 海的描述\n", "前文。\n\n<!-- more -->\n\n后文。"
            ),
        },
    )
    monkeypatch.chdir(hexo)
    assert run("build").exit_code == 0
    assert entries(hexo)["海"].summary == "<p>海的描述</p>"


def test_a_plain_post_reads_description_after_its_summary(blog, run):
    (blog / "posts" / "d.md").write_text(
        post("描述", "2025-08-27", "description: 描述文字\n"), encoding="utf-8"
    )
    (blog / "posts" / "s.md").write_text(
        post("两者", "2025-08-26", "summary: 摘要\ndescription: 描述\n"), encoding="utf-8"
    )
    assert run("build").exit_code == 0
    found = entries(blog)
    assert found["描述"].summary == "<p>描述文字</p>" and found["两者"].summary == "<p>摘要</p>"


# 7. Titles ---------------------------------------------------------------------------------------


def test_html_in_a_title_becomes_its_text(tmp_path, monkeypatch, run):
    root = write_site(
        tmp_path / "j",
        {
            "_config.yml": JEKYLL + "timezone: UTC\n",
            "_posts/2025-08-24-a.md": post(
                "'<span style=\"color:red\">重要</span> &amp; <em>新</em>'", "2025-08-24"
            ),
            "_posts/2025-08-23-b.md": post("'a < b 的 &lt;证明&gt;'", "2025-08-23"),
        },
    )
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    assert set(entries(root)) == {"重要 & 新", "a < b 的 <证明>"}
    raw = (root / "public" / "atom.xml").read_text(encoding="utf-8")
    assert "span" not in raw and "&lt;em" not in raw
    assert run("digest", "--week", "2025-W34").exit_code == 0
    text = (root / "public" / "digest" / "2025-W34.txt").read_text(encoding="utf-8")
    assert "重要 & 新" in text and "<span" not in text


# 9. Only useful warnings -------------------------------------------------------------------------


def test_theme_and_plugin_keys_are_silent_and_typos_are_not(tmp_path, monkeypatch, run):
    theme = (
        "header-img: /a.png\nabbrlink: 3f2a\ntopmost: true\nindex_img: /b.png\n"
        "comments: false\nreward: true\n"
    )
    root = write_site(
        tmp_path / "hexo",
        {
            "_config.yml": HEXO + "timezone: UTC\n",
            "scaffolds/post.md": "---\n---\n",
            "source/_posts/a.md": post("主题", "2025-08-24", theme),
        },
    )
    monkeypatch.chdir(root)
    result = run("validate", "--strict")
    assert result.exit_code == 0, result.output
    typos = post("错字", "2025-08-23", "catagories: [a]\ntgas: [b]\n")
    (root / "source/_posts/b.md").write_text(typos, encoding="utf-8")
    result = run("validate")
    assert (
        "source/_posts/b.md:4:1: warning FT115 unknown key 'catagories' (did you mean "
        "'categories'?)" in result.output
    )
    assert (
        "source/_posts/b.md:5:1: warning FT115 unknown key 'tgas' (did you mean 'tags'?)"
        in result.output
    )
    assert result.output.count("FT115") == 2
    hugo = write_site(
        tmp_path / "hugo",
        {  # Hugo's keys are case-insensitive
            "hugo.toml": HUGO,
            "content/posts/a.md": post(
                "大小写", "2025-08-24", "PublishDate: 2025-08-24\nDraft: false\n"
            ),
        },
    )
    monkeypatch.chdir(hugo)
    result = run("validate", "--strict")
    assert result.exit_code == 0, result.output


def test_validate_ignore_leaves_out_those_warnings(blog, run):
    (blog / "posts" / "img.md").write_text(
        post("图", "2025-08-27", "", "![a](missing.png)"), encoding="utf-8"
    )
    result = run("validate", "--strict")
    assert result.exit_code == 1 and "FT303" in result.output
    config = (blog / "feedtool.toml").read_text(encoding="utf-8")
    (blog / "feedtool.toml").write_text(
        config + '\n[validate]\nignore = ["FT303"]\n', encoding="utf-8"
    )
    result = run("validate", "--strict")
    assert result.exit_code == 0 and "FT303" not in result.output, result.output
    (blog / "feedtool.toml").write_text(
        config + '\n[validate]\nignore = ["303"]\n', encoding="utf-8"
    )
    result = run("validate")
    assert result.exit_code == 2 and "validate.ignore: expected diagnostic codes" in result.stderr


# 10. init ----------------------------------------------------------------------------------------


def test_init_prints_what_it_read_and_keeps_private_folders_out_of_git(tmp_path, monkeypatch, run):
    root = write_site(
        tmp_path / "hexo",
        {
            "_config.yml": HEXO + "timezone: Asia/Shanghai\npermalink: posts/:title.html\n",
            "scaffolds/post.md": "---\n---\n",
            "source/_posts/a.md": post("甲", "2025-08-24"),
            # One of them listed already, no final newline.
            ".gitignore": "node_modules/\n/.feedtool-cache",
        },
    )
    monkeypatch.chdir(root)
    result = run("init")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  title:     X" in lines and "  base URL:  https://x.example" in lines
    assert "  time zone: Asia/Shanghai" in lines
    assert "  permalink: {base_url}/posts/{path}/{filename}.html" in lines  # Hexo's :title
    assert "Added .feedtool/ to .gitignore." in lines
    ignored = (root / ".gitignore").read_text(encoding="utf-8")
    assert ignored == "node_modules/\n/.feedtool-cache\n.feedtool/\n"
    (root / "feedtool.toml").unlink()
    result = run("init")
    assert result.exit_code == 0 and ".gitignore" not in result.output  # never twice
    assert (root / ".gitignore").read_text(encoding="utf-8").count(".feedtool/") == 1


def test_init_creates_a_gitignore(tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)
    result = run("init", "--title", "新", "--base-url", "https://n.example")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == ".feedtool-cache/\n.feedtool/\n"
    assert "  time zone: Asia/Shanghai" in result.output.splitlines()


# 11. validate without a config --------------------------------------------------------------------


def test_validate_needs_no_config(tmp_path, monkeypatch, run):
    notes = write_site(
        tmp_path / "notes",
        {
            "good.md": post("好", "2025-08-24"),
            "bad.md": "---\ntitle: 坏\ndate: 二月 30, 2025\ntitel: x\n---\n\n正文\n",
        },
    )
    monkeypatch.chdir(notes)
    result = run("validate", ".")
    assert result.exit_code == 1, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("note:")] == [
        f"note: no feedtool.toml and no Hugo, Hexo or Jekyll site in {notes}: checking the posts "
        "with the default settings (time zone Asia/Shanghai)"
    ]
    assert "bad.md:3:7: error FT201" in result.output
    assert "bad.md:4:1: warning FT115 unknown key 'titel' (did you mean 'title'?)" in result.output
    assert "good.md" not in result.output
    assert sorted(p.name for p in notes.iterdir()) == [
        "bad.md",
        "good.md",
    ]  # no cache folder left here
    result = run("validate", "good.md")
    assert result.exit_code == 0, result.output
    assert run("build").exit_code == 2  # a feed does need a title and an address


def test_jekyll_reads_a_yaml_timestamp_without_zone_in_utc_as_ruby_does(tmp_path, monkeypatch, run):
    # Checked with jekyll 4 + jekyll-feed: Psych reads `2025-08-24 10:00:00` as UTC whatever the
    # zone; a date without seconds, a quoted one or the file name's is read in the site's zone.
    root = write_site(
        tmp_path / "j",
        {
            "_config.yml": JEKYLL + "timezone: Asia/Shanghai\n",
            "_posts/2025-08-24-a.md": post("时间戳", "2025-08-24 10:00:00"),
            "_posts/2025-08-23-b.md": post("无秒", "2025-08-23 10:00"),
            "_posts/2025-08-22-c.md": post("引号", '"2025-08-22 10:00:00"'),
            "_posts/2025-08-21-d.md": "---\ntitle: 文件名\n---\n\n正文。\n",
            "_posts/2025-08-20-e.md": post("带时区", "2025-08-20 10:00:00 +09:00"),
        },
    )
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    found = entries(root)
    assert found["时间戳"].published == "2025-08-24T10:00:00+00:00"
    assert found["无秒"].published == "2025-08-23T10:00:00+08:00"
    assert found["引号"].published == "2025-08-22T10:00:00+08:00"
    assert found["文件名"].published == "2025-08-21T00:00:00+08:00"
    assert found["带时区"].published == "2025-08-20T10:00:00+09:00"
