"""`feedtool validate`: findings, formats, exit codes and --fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import post_of, write_post
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedtool import config, posts
from feedtool.catalog import absolute_paths

GOOD = '---\ntitle: 好文章\ndate: "八月 24, 2025"\ntags: [a]\n---\n\n正文。\n'


def test_sample_posts_are_valid(blog: Path, run):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No problems in 5 posts.\n"


def test_text_format_sorted_with_a_count(blog: Path, run):
    write_post(
        blog / "posts", "b.md", '---\ntitle: t\ndate: "二月 30, 2025"\ntitel: x\n---\n正文\n'
    )
    write_post(blog / "posts", "a.md", "---\ntitle: t\ndate: 2025-01-01\ntags: 单个\n---\n正文\n")
    result = run("validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "posts/a.md:4:7: warning FT205 'tags' should be a list, e.g. ['单个']"
    assert lines[1].startswith('posts/b.md:3:7: error FT201 date "二月 30, 2025": ')
    assert lines[2] == "posts/b.md:4:1: warning FT115 unknown key 'titel' (did you mean 'title'?)"
    assert lines[3] == "Found 1 error and 2 warnings in 2 of 7 posts."
    assert "\x1b[" not in result.stdout  # no colour when not a terminal


def test_warnings_pass_unless_strict(blog: Path, run):
    write_post(blog / "posts", "a.md", "---\ntitle: t\ndate: 2025-01-01\ntags: 单个\n---\n正文\n")
    assert run("validate").exit_code == 0
    assert run("validate", "--strict").exit_code == 1


def test_json_format_is_only_json(blog: Path, run):
    write_post(blog / "posts", "bad.md", "---\ntitle: t\n---\n正文\n")
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert found == [
        {
            "path": "posts/bad.md",
            "line": 1,
            "column": 1,
            "severity": "error",
            "code": "FT202",
            "message": "missing date (add e.g. 'date: 2025-08-24')",
        }
    ]


def test_github_format(blog: Path, run):
    write_post(blog / "posts", "bad.md", "---\ntitle: t\n---\n正文\n")
    result = run("validate", "--format", "github")
    assert result.stdout.splitlines() == [
        "::error file=posts/bad.md,line=1,col=1,title=FT202::missing date (add e.g. 'date: "
        "2025-08-24')"
    ]


def test_github_format_escapes_a_path_as_a_property(blog: Path, run):
    # A `,` or `:` in the file name would end the property early: GitHub's toolkit escapes them.
    write_post(blog / "posts", "a,b:c%.md", "---\ntitle: t\n---\n正文\n")
    result = run("validate", "--format", "github")
    assert result.stdout.splitlines() == [
        "::error file=posts/a%2Cb%3Ac%25.md,line=1,col=1,title=FT202::missing date (add e.g. "
        "'date: 2025-08-24')"
    ]


def test_paths_can_be_files_and_folders(blog: Path, run, tmp_path: Path):
    write_post(tmp_path / "extra", "x.md", GOOD)
    result = run("validate", "posts/glm-vl.md", str(tmp_path / "extra"))
    assert result.exit_code == 0 and result.stdout == "No problems in 2 posts.\n"
    assert run("validate", "missing.md").exit_code == 2


@pytest.mark.parametrize(
    "body, expected",
    [
        ("", "p.md:4:1: warning FT301 empty body"),
        (
            "\n<!--more-->\n\n后文。\n",
            "p.md:7:1: warning FT302 nothing before the <!--more--> marker",
        ),
        (
            "见[图](images/none.png)和[另一篇](../qwen-vl/)。\n",
            "p.md:6:6: warning FT303 link to a missing local file: images/none.png",
        ),
        ('<img src="pic.jpg">\n', "p.md:6:11: warning FT303 link to a missing local file: pic.jpg"),
        ("```\n[x](code.png)\n```\n", None),
        ("- a\n\n    ```\n    [x](code.png)\n    ```\n", None),
        (
            "```\n[x](a.png)\n",  # a fence never closed is text, and its link a link
            "p.md:7:5: warning FT303 link to a missing local file: a.png",
        ),
        ("[外链](https://example.com/a.png) [锚点](#x) [根](/a.png)\n", None),
    ],
)
def test_body_findings(tmp_path: Path, run, body: str, expected: str | None, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://e.com"\n', encoding="utf-8"
    )
    write_post(tmp_path, "p.md", "---\ntitle: t\ndate: 2025-08-24\n---\n\n" + body)
    result = run("validate", "p.md")
    lines = result.stdout.splitlines()[:-1]
    if expected is None:
        assert lines == []
    else:
        assert any(line.startswith(expected) for line in lines), lines
    assert result.exit_code == 0  # warnings only


def test_existing_local_files_are_fine(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://e.com"\n', encoding="utf-8"
    )
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "图 1.png").write_bytes(b"png")
    write_post(
        tmp_path,
        "p.md",
        "---\ntitle: t\ndate: 2025-08-24\n---\n\n![图](images/%E5%9B%BE%201.png)\n",
    )
    assert run("validate", "p.md").stdout == "No problems in 1 post.\n"


def test_duplicates_name_both_files(blog: Path, run):
    write_post(blog / "posts", "copy.md", GOOD.replace("---\n\n", "slug: glm-vl\n---\n\n"))
    result = run("validate")
    link = "'https://pan.example.com/posts/glm-vl/'"
    assert (
        f"posts/copy.md:5:7: error FT208 permalink {link} is also used by posts/glm-vl.md"
        in result.stdout
    )
    assert (
        f"posts/glm-vl.md:1:1: error FT208 permalink {link} is also used by posts/copy.md"
        in result.stdout
    )


# --fix -----------------------------------------------------------------------------------------


def test_fix_rewrites_only_the_values(blog: Path, run):
    original = (
        "\ufeff---\r\n# 注释保留\r\ntitle:   '保留的引号'\r\n"
        'date: "八月 24, 2025"   # 行尾注释\r\n'
        "updated: 2025年8月25日 下午3:04\r\ntags: 单个标签\r\n---\r\n\r\n正文。\r\n"
    ).encode("utf-8")
    path = write_post(blog / "posts", "fixme.md", original)
    result = run("validate", "--fix", "posts/fixme.md")
    assert result.exit_code == 0, result.output
    expected = (
        "\ufeff---\r\n# 注释保留\r\ntitle:   '保留的引号'\r\n"
        "date: 2025-08-24T00:00:00+08:00   # 行尾注释\r\n"
        'updated: 2025-08-25T15:04:00+08:00\r\ntags: ["单个标签"]\r\n---\r\n\r\n正文。\r\n'
    ).encode("utf-8")
    assert path.read_bytes() == expected
    assert (
        'posts/fixme.md:4:7: fixed date "八月 24, 2025" -> 2025-08-24T00:00:00+08:00'
        in result.stderr
    )
    assert "Fixed 3 problems in 1 file." in result.stderr
    assert result.stdout == "No problems in 1 post.\n"
    # Running it again changes nothing.
    again = run("validate", "--fix", "posts/fixme.md")
    assert "Fixed" not in again.stderr and path.read_bytes() == expected


def test_fix_toml_front_matter(blog: Path, run):
    path = write_post(
        blog / "posts", "t.md", '+++\ntitle = "T"\ndate = "八月 24, 2025" # c\n+++\n正文\n'
    )
    assert run("validate", "--fix", "posts/t.md").exit_code == 0
    assert (
        path.read_text(encoding="utf-8")
        == '+++\ntitle = "T"\ndate = 2025-08-24T00:00:00+08:00 # c\n+++\n正文\n'
    )


def test_a_toml_key_is_found_on_its_own_line_not_inside_a_multi_line_string(blog: Path, run):
    text = (
        '+++\ntitle = "t"\nsummary = """\ndate = "2025-01-01" is how to write it\n"""\n'
        'date = "八月 24, 2025"\n+++\n正文\n'
    )
    path = write_post(blog / "posts", "t.md", text)
    result = run("validate", "--fix", "posts/t.md")
    assert result.exit_code == 0, result.output
    assert 'posts/t.md:6:8: fixed date "八月 24, 2025"' in result.stderr
    assert path.read_text(encoding="utf-8") == text.replace(
        '"八月 24, 2025"', "2025-08-24T00:00:00+08:00"
    )
    write_post(blog / "posts", "t.md", text.replace("八月 24", "二月 30"))
    assert "posts/t.md:6:8: error FT201" in run("validate", "posts/t.md").stdout


def test_fix_never_changes_another_value(blog: Path, run, monkeypatch):
    # Were a value found in the wrong place, the rewritten file would read back with another
    # value changed (here one the post does not keep): then the file is left as it was.
    from feedtool import posts as posts_module

    text = (
        '+++\ntitle = "t"\nnotes = """\ndate = "2025-01-01" is how\n"""\n'
        'date = "八月 24, 2025"\n+++\n正文\n'
    )
    path = write_post(blog / "posts", "t.md", text)
    monkeypatch.setattr(
        posts_module, "_toml_sets", lambda lines, key, value: True
    )  # the first look-alike wins
    result = run("validate", "--fix", "posts/t.md")
    assert path.read_text(encoding="utf-8") == text
    assert "fixed" not in result.stderr


def test_fix_rewrites_a_generators_own_name_for_a_date(blog: Path, run):
    # Hugo's lastmod is read as updated (both names hold the one value): fixing it is no other
    # change.
    path = write_post(
        blog / "posts",
        "t.md",
        '---\ntitle: t\ndate: 2025-08-24\nlastmod: "八月 25, 2025"\n---\n正文\n',
    )
    assert run("validate", "--fix", "posts/t.md").exit_code == 0
    assert (
        path.read_text(encoding="utf-8")
        == "---\ntitle: t\ndate: 2025-08-24\nlastmod: 2025-08-25T00:00:00+08:00\n---\n正文\n"
    )


def test_fix_leaves_files_with_other_errors_alone(blog: Path, run):
    text = '---\ntitle: ""\ndate: "八月 24, 2025"\ntags: 单个\n---\n正文\n'
    path = write_post(blog / "posts", "bad.md", text)
    result = run("validate", "--fix", "posts/bad.md")
    assert result.exit_code == 1
    assert path.read_text(encoding="utf-8") == text
    assert "fixed" not in result.stderr


def test_fix_on_the_sample_blog(blog: Path, run):
    result = run("validate", "--fix")
    assert result.exit_code == 0
    assert "Fixed 5 problems in 5 files." in result.stderr
    site = config.load(blog / "feedtool.toml")
    post = post_of(posts.load(blog / "posts" / "glm-vl.md", site))
    assert post.date.isoformat() == "2025-08-24T00:00:00+08:00"
    assert "date: 2025-08-24T00:00:00+08:00\n" in (blog / "posts" / "glm-vl.md").read_text(
        encoding="utf-8"
    )


# Never a traceback ---------------------------------------------------------------------------

SITE = config.loads('title = "t"\nbase_url = "https://e.com"')
_pieces = st.sampled_from(
    [
        "---\n",
        "+++\n",
        "title: ",
        "date: ",
        "tags: ",
        "slug: ",
        "draft: ",
        '"',
        "'",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "八月 24, 2025",
        "2025-08-24",
        "&a ",
        "*a",
        "!!binary ",
        "!!python/object:os.system ",
        "<<: ",
        "- ",
        "\n",
        "  ",
        "\t",
        "\x00",
        "\x0b",
        "\ufeff",
        "\r\n",
        "<!--more-->",
        "[x](a.png)",
        "title = ",
        "date = ",
        "= ",
        "#",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.binary(max_size=300), st.lists(_pieces, max_size=40).map("".join).map(str.encode))
)
def test_any_bytes_give_a_post_or_diagnostics(data: bytes):
    loaded = posts.loads(data, SITE)
    assert loaded.post is not None or any(d.severity == "error" for d in loaded.diagnostics)
    for d in loaded.diagnostics:
        assert d.line >= 1 and d.column >= 1 and d.code.startswith("FT")


def test_tab_nesting_is_refused_like_space_nesting(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://e.com"\n', encoding="utf-8"
    )
    write_post(
        tmp_path,
        "p.md",
        "---\ntitle: t\ndate: 2025-08-24\n---\n\n"
        + "".join("\t" * i + "- x\n" for i in range(300)),
    )
    result = run("validate", "p.md")
    assert result.exit_code == 1 and "FT304" in result.stdout


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "正文".encode("gbk") + b"\n",
            "p.md:6:1: error FT102 not UTF-8 (it looks like GBK/GB18030)",
        ),
        (b"text\x00\x01binary\n", "p.md:1:1: error FT103 binary content"),
    ],
)
def test_errors_in_the_body_are_errors_of_the_file(
    tmp_path: Path, run, body: bytes, expected: str, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://e.com"\nposts = "."\n', encoding="utf-8"
    )
    write_post(tmp_path, "p.md", b"---\ntitle: t\ndate: 2025-08-24\n---\n\n" + body)
    result = run("validate", "p.md")
    assert result.exit_code == 1 and result.stdout.startswith(expected), result.stdout
    build = run("build")  # the post is in the feed: its body is checked before it is rendered
    assert build.exit_code == 1 and expected in build.stderr


def test_a_file_not_utf8_in_front_matter_and_body_is_one_error(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://e.com"\nposts = "."\n', encoding="utf-8"
    )
    write_post(
        tmp_path,
        "p.md",
        b"---\ntitle: " + "标题".encode("gbk") + b"\ndate: 2025-08-01\n---\nbody \xff\xfe\x80\n",
    )
    result = run("validate", "p.md")
    assert result.exit_code == 1
    assert [line.split(" not UTF-8")[0] for line in result.stdout.splitlines()[:-1]] == [
        "p.md:2:8: error FT102"
    ]


_PATHS = st.builds(
    lambda absolute, parts: (("/" if absolute else "") + "/".join(parts)) or ".",
    st.booleans(),
    st.lists(st.sampled_from(["", ".", "..", "a", ".b", "..c", "d.", "文章.md"]), max_size=6),
)


@settings(max_examples=500, deadline=None)
@given(_PATHS)
def test_cache_keys_are_absolute_normal_paths(path: str):
    assert absolute_paths([path], "/work/blog") == [
        os.path.normpath(os.path.join("/work/blog", path))
    ]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_PATHS, max_size=5),
    st.lists(st.sampled_from(["a", "b.md", "文章"]), min_size=1, max_size=3),
)
def test_a_list_of_paths_is_made_absolute_as_each_would_be(paths: list[str], normal: list[str]):
    # Most lists are all absolute and normal (checked at once); a single other one changes that.
    for listing in (paths, ["/work/blog/" + "/".join(normal)] * 3 + paths):
        assert absolute_paths(listing, "/work/blog") == [
            os.path.normpath(os.path.join("/work/blog", p)) for p in listing
        ]
