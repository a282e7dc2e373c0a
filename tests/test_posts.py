"""Reading posts: front matter, fields, and a diagnostic with the right line for each problem."""

from __future__ import annotations

import codecs
import os
import pickle
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import checkout_env, post_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedtool import config, posts
from feedtool.files import PostFiles, find, identity, post_files, read_regular_file
from feedtool.validate import check

REPO_POSTS = Path(__file__).resolve().parents[1] / "posts"

SITE = config.loads('title = "t"\nbase_url = "https://pan.example.com"\nauthor = "站长"')
NOW = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def load(text: str | bytes, name: str = "p.md") -> posts.Loaded:
    return posts.loads(text, SITE, path=Path(name))


def findings(text: str | bytes) -> list[str]:
    return [d.text() for d in load(text).diagnostics]


def test_yaml_post_fields():
    post = post_of(
        load(
            '---\ntitle: "GLM-VL系列论文解析"\ndate: "八月 24, 2025"\nauthor: pan\n'
            "tags: [多模态, VLM]\n---\n\n正文。\n",
            "glm-vl.md",
        )
    )
    assert post.title == "GLM-VL系列论文解析"
    assert post.date.isoformat() == "2025-08-24T00:00:00+08:00"
    assert (post.slug, post.permalink, post.id) == (
        "glm-vl",
        "https://pan.example.com/posts/glm-vl/",
        post.permalink,
    )
    assert (post.author, post.tags, post.body_line) == ("pan", ("多模态", "VLM"), 7)
    assert post.body == "\n正文。\n"


def test_toml_post_and_defaults():
    post = post_of(
        load('+++\ntitle = "标题"\ndate = 2025-08-24T10:00:00+08:00\nslug = "自定义"\n+++\n正文\n')
    )
    assert post.date.isoformat() == "2025-08-24T10:00:00+08:00"
    assert post.author == "站长"  # from the site config
    assert post.permalink == "https://pan.example.com/posts/%E8%87%AA%E5%AE%9A%E4%B9%89/"


def test_unquoted_yaml_dates_are_read_in_the_site_zone():
    post = post_of(load("---\ntitle: t\ndate: 2025-08-24\nupdated: 2025-08-25 10:00\n---\n"))
    assert post.date.isoformat() == "2025-08-24T00:00:00+08:00"
    assert post.updated is not None and post.updated.isoformat() == "2025-08-25T10:00:00+08:00"


def test_bom_and_crlf_are_accepted():
    post = load(
        "\ufeff---\r\ntitle: t\r\ndate: 2025-08-24\r\n---\r\n第一行\r\n".encode("utf-8")
    ).post
    assert post is not None and post.body == "第一行\n"


def test_numbers_in_titles_stay_as_written():
    assert post_of(load("---\ntitle: 1.10\ndate: 2025-08-24\n---\n")).title == "1.10"


@pytest.mark.parametrize(
    "text, expected",
    [
        (b"", "p.md:1:1: error FT101 empty file"),
        (
            "---\ntitle: 标题\n".encode("gbk") + "日期".encode("gbk"),
            "error FT102 not UTF-8 (it looks like GBK/GB18030)",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "error FT103 binary content"),
        (
            "---\ntitle: t\ndate: 2025-08-24\n---\n中文".encode() + b"\xffx\n",
            "p.md:5:3: error FT102 not UTF-8",
        ),
        (codecs.BOM_UTF8 + "中文".encode() + b"\xff\n", "p.md:1:3: error FT102 not UTF-8"),
        ("# 标题\n\n正文", "p.md:1:1: error FT110 no front matter"),
        (
            "---\ntitle: t\ndate: 2025-08-24\n",
            "p.md:1:1: error FT111 front matter opened with '---' on line 1 is never closed",
        ),
        ("---\ntitle: t\ndate: [2025\n---\n", "p.md:4:1: error FT112 YAML syntax error"),
        ('+++\ntitle = "t"\ndate = \n+++\n', "p.md:3:8: error FT112 TOML syntax error"),
        ("---\n- a\n- b\n---\n", "p.md:2:1: error FT113 front matter must be a mapping"),
        (
            "---\ntitle: a\ndate: 2025-08-24\ntitle: b\n---\n",
            "p.md:4:1: error FT114 duplicate key 'title' (first set on line 2)",
        ),
        (
            '+++\ntitle = "a"\n  title = "b"\n+++\n',
            "p.md:3:3: error FT114 duplicate key (Cannot overwrite a value)",
        ),
        ("---\ndate: 2025-08-24\n---\n", "p.md:1:1: error FT200 missing title"),
        ("---\ntitle: ''\ndate: 2025-08-24\n---\n", "p.md:2:8: error FT200 empty title"),
        ("---\ntitle: t\n---\n", "p.md:1:1: error FT202 missing date"),
        ("---\ntitle: t\ndate:\n---\n", "p.md:3:6: error FT202 empty date"),
        ("---\ntitle: t\ndate: ~\n---\n", "p.md:3:7: error FT202 empty date"),
        ('{"title": "t", "date": null}\n', "error FT202 empty date"),
        (
            '{\n"title": "a",\n"date": "2025-08-24",\n}\nbody',
            "p.md:4:1: error FT112 JSON syntax error: Expecting property name",
        ),
        ('+++\ntitle = "t"\n+++\n', "p.md:1:1: error FT202 missing date"),
        ("---\ntitle:\ndate: 2025-08-24\n---\n", "p.md:2:7: error FT200 empty title"),
        (
            '---\ntitle: t\ndate: "二月 30, 2025"\n---\n',
            'p.md:3:7: error FT201 date "二月 30, 2025": ',
        ),
        (
            "---\ntitle: t\ndate: 昨天\n---\n",
            'p.md:3:7: error FT201 date "昨天": it has no year or is relative to today',
        ),
        (
            "---\ntitle: t\ndate: 8月24日\n---\n",
            'p.md:3:7: error FT201 date "8月24日": it has no year or is relative to today',
        ),
        (
            "---\ntitle: t\ndate: 2025-08-24\nupdated: 2025-08-01\n---\n",
            "p.md:4:10: error FT204 updated (2025-08-01) is earlier than date (2025-08-24)",
        ),
        (
            "---\ntitle: t\ndate: 2025-08-24\ntags: 单个\n---\n",
            "p.md:4:7: warning FT205 'tags' should be a list",
        ),
        (
            "---\ntitle: t\ndate: 2025-08-24\ntags: {a: 1}\n---\n",
            "p.md:4:7: error FT205 'tags' must be a list of strings",
        ),
        (
            '---\ntitle: "a\\x01b"\ndate: 2025-08-24\n---\n',
            "p.md:2:8: warning FT206 'title' contains U+0001, which XML forbids: it is left out",
        ),
        (
            "---\ntitle: t\ndate: 2025-08-24\nslug: ../etc\n---\n",
            "p.md:4:7: error FT207 slug '../etc' must be a single URL path segment",
        ),
        (
            '---\ntitle: t\ndate: 2025-08-24\ndraft: "yes"\n---\n',
            "p.md:4:8: error FT209 'draft' must be true or false",
        ),
        (
            "---\ntitle: [a, b]\ndate: 2025-08-24\n---\n",
            "p.md:2:8: error FT209 'title' must be text, got a list",
        ),
    ],
)
def test_each_problem_is_reported_with_its_place(text, expected):
    loaded = load(text)
    found = [d.text() for d in loaded.diagnostics]
    assert any(expected in line for line in found), found
    if "error" in expected:
        assert loaded.post is None


def test_a_title_that_is_not_text_is_one_error_not_two():
    assert [
        line.split()[2] for line in findings("---\ntitle: [a, b]\ndate: 2025-08-24\n---\n")
    ] == ["FT209"]


def test_several_problems_in_one_file_are_all_reported():
    found = findings('---\ntitle: ""\ndate: "十三月 1, 2025"\ndraft: 1\n---\n')
    assert [line.split()[2] for line in found] == ["FT200", "FT201", "FT209"]


def test_check_across_files(tmp_path: Path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: a\ndate: 2025-08-24\nslug: same\n---\n", encoding="utf-8"
    )
    (tmp_path / "b.md").write_text(
        "---\ntitle: b\ndate: 2025-08-25\nslug: same\ntitel: x\n---\n", encoding="utf-8"
    )
    (tmp_path / "c.md").write_text("---\ntitle: c\ndate: 2999-01-01\n---\n", encoding="utf-8")
    report = check(sorted(str(p) for p in tmp_path.glob("*.md")), SITE, now=NOW)
    texts = [d.text().replace(str(tmp_path) + "/", "") for d in report.diagnostics]
    names = {Path(t.split(":")[0]).name for t in texts}
    assert names == {"a.md", "b.md", "c.md"}
    link = "'https://pan.example.com/posts/same/'"
    assert any(
        f"a.md:4:7: error FT208 permalink {link} is also used by" in t and "b.md" in t
        for t in texts
    )
    assert any(
        f"b.md:4:7: error FT208 permalink {link} is also used by" in t and "a.md" in t
        for t in texts
    )
    assert any(
        "b.md:5:1: warning FT115 unknown key 'titel' (did you mean 'title'?)" in t for t in texts
    )
    assert any(
        "c.md:3:7: warning FT203 date 2999-01-01T00:00:00+08:00 is in the future" in t
        for t in texts
    )
    assert [p.title for p in report.posts] == ["c"]
    assert not report.ok


def test_json_front_matter():
    loaded = load(
        '{\n  "title": "JSON 写的",\n  "date": "2025-08-24",\n  "tags": ["a"]\n}\n\n正文。\n'
    )
    assert loaded.post is not None, loaded.diagnostics
    assert (loaded.post.title, loaded.post.tags, loaded.post.body_line) == ("JSON 写的", ("a",), 6)
    assert loaded.post.body == "\n正文。\n"
    found = findings('{\n  "title": "t",\n  "date": "二月 30, 2025"\n}\n')
    assert found[0].startswith('p.md:3:11: error FT201 date "二月 30, 2025"')
    assert findings('{"title": "t",\n "date": }\n')[0].startswith(
        "p.md:2:10: error FT112 JSON syntax error"
    )


def test_any_field_with_a_forbidden_character_is_reported():
    found = findings('---\ntitle: t\ndate: 2025-08-24\ndescription: "bad\\x1fchar"\n---\n')
    assert found == [
        "p.md:4:14: warning FT206 'description' contains U+001F, which XML forbids: it is left out"
    ]


def test_theme_keys_are_known(tmp_path: Path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: a\ndate: 2025-08-24\nShowToc: true\nTocOpen: false\nlastmod: 2025-08-25\n"
        "cover:\n  image: cover.png\n---\n正文\n",
        encoding="utf-8",
    )
    report = check([str(tmp_path / "a.md")], SITE, now=NOW)
    assert report.diagnostics == [] and report.posts[0].cover == "cover.png"


def test_yaml_alias_bomb_is_cheap():
    bomb = (
        "---\ntitle: t\ndate: 2025-08-24\na: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}]\n"
            for i in range(8)
        )
        + "tags: *i\n---\n"
    )
    loaded = load(bomb)  # 9**9 strings if anything walked the aliases naively
    assert any("FT205" in d.text() for d in loaded.diagnostics)


# The flat front matter reader must agree with PyYAML wherever it answers ----------------------

_scalar_texts = st.one_of(
    st.sampled_from(
        [
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "False",
            "null",
            "~",
            "Null",
            "y",
            "n",
            "0",
            "12",
            "1.5",
            "0x1F",
            "10:30",
            "2025-08-24",
            "八月 24, 2025",
            "-1",
            "+2",
            ".5",
            "1_000",
            "<<",
            "=",
            "a: b",
            "a:b",
            "a #b",
            "a#b",
            "#c",
            "'q'",
            '"q"',
            "[x]",
            "{x}",
            "- x",
            "? x",
            "&a",
            "*a",
            "!t",
            "|",
            ">",
            "%x",
            "@x",
            "`x",
            "a,b",
            "http://x.y/z",
            "GLM-VL [1]",
            '他说"好"',
            "it's",
            "tab\tin",
            " lead",
            "trail ",
            "\u2028",
            "\u2029",
            "\x85",
            "\x7f",
            "\x01",
            "\ufffe",
            "\ufeff",
            "\xa0",
            "a\\b",
            "",
        ]
    ),
    st.text(st.sampled_from(list("ab 中文:#'\",[]{}-?!&*|>%@`~.0123456789\t")), max_size=12),
)


@st.composite
def _flat_lines(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(
            st.sampled_from(
                ["title", "date", "tags", "draft", "slug", "ShowToc", "a_b", "x-y", "on", "1a"]
            )
        )
        text = draw(_scalar_texts)
        style = draw(
            st.sampled_from(["plain", "double", "single", "flow", "comment", "blank", "indent"])
        )
        if style == "plain":
            lines.append(f"{key}: {text}")
        elif style == "double":
            lines.append(f'{key}: "{text}"' + draw(st.sampled_from(["", "  # c", " #c"])))
        elif style == "single":
            lines.append(f"{key}: '{text}'")
        elif style == "flow":
            items = draw(st.lists(_scalar_texts, max_size=3))
            lines.append(f"{key}: [" + draw(st.sampled_from([", ", ",", " , "])).join(items) + "]")
        elif style == "comment":
            lines.append(f"# {text}")
        elif style == "blank":
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
        else:
            lines.append(f"  {key}: {text}")
    return "\n".join(lines)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_flat_lines())
def test_flat_reader_agrees_with_pyyaml(block: str):
    fast = posts._parse_flat_yaml(block, "", 9)
    if fast is None:
        return
    yaml, loader_class = posts.yaml_loader()
    loader = loader_class(block)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise AssertionError(f"fast reader accepted what PyYAML refuses: {exc}") from None
    if node is None:
        assert fast.values == {}
        return
    slow = posts.split("---\n" + block + "\n---\n")
    assert (fast.values, fast.texts, fast.positions, fast.key_positions, fast.ends) == (
        slow.values,
        slow.texts,
        slow.positions,
        slow.key_positions,
        slow.ends,
    )


def test_flat_reader_is_used_for_the_sample_posts():
    for path in sorted(REPO_POSTS.glob("*.md")):
        block = path.read_text(encoding="utf-8").split("---\n")[1]
        assert posts._parse_flat_yaml(block, "", 7) is not None, path.name


def test_plain_text_needs_no_pyyaml():
    # Every first character PyYAML resolves to a non-text value is one the flat reader hands to
    # PyYAML (or refuses): otherwise it would read `yes` as text.
    loader: type[Any]  # a PyYAML loader class, made at run time
    _, loader = posts.yaml_loader()
    resolved = {first for first in loader.yaml_implicit_resolvers if first}
    assert resolved <= posts._RESOLVED_FIRST | posts._PLAIN_FIRST_INVALID
    # ... and a typical post is read without importing PyYAML at all.
    code = (
        "import sys; from feedtool import config, posts; loaded = posts.loads('---\\ntitle: "
        "标题\\ndate: 八月 24, 2025\\nauthor: pan\\ntags: [AI, 推理]\\n---\\n正文\\n', "
        'config.loads(\'title = "t"\\nbase_url = "https://a.example"\')); assert loaded.post and '
        "loaded.post.author == 'pan', loaded; print('yaml' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=checkout_env()
    ).stdout
    assert out.strip() == "False"


def test_json_positions_are_of_top_level_keys():
    text = (
        '{\n  "title": "t",\n  "params": {"date": "2025-01-01"},\n  "date": "二月 30, 2025"\n}\n'
        "正文\n"
    )
    assert findings(text)[0].startswith('p.md:4:11: error FT201 date "二月 30, 2025"')
    assert (
        "FT114 duplicate key 'title'"
        in findings('{"title": "a",\n "title": "b", "date": "2025-01-01"}\n')[0]
    )
    assert "FT112 JSON syntax error" in findings('{"title": "a" "date": 1}\n')[0]
    assert "FT112 JSON syntax error" in findings('{"title": "a",\n')[0]


# Build and digest read only the front matter: what they learn must be what a whole read learns.

_OPENERS = ["---", "+++", "--- ", " ---", "\ufeff---", "{", "...", "# 标题", ""]
_FRONT_LINES = [
    "title: 标题",
    "date: 2025-08-24",
    'date: "八月 24, 2025"',
    "tags: [a, b]",
    "draft: true",
    "title: [a",
    "- x",
    "slug: s",
    "updated: 2025-08-01",
    'title = "t"',
    "date = 2025-08-24",
    '"title": "t", "date": "2025-08-24"',
    "title: \x0b",
    "date: 昨天",
    "x: 1",
    "",
]
_CLOSER_LINES = ["---", "...", "+++", "--- ", "---\r", "}", "", " ---"]
_BODY_LINES = [
    "",
    "正文。",
    "---",
    "+++",
    "...",
    "<!--more-->",
    "正文\x0b",
    "[图](a.png)",
    "\x00",
    "}",
]


@st.composite
def _post_files(draw) -> bytes:
    lines = [
        draw(st.sampled_from(_OPENERS)),
        *draw(st.lists(st.sampled_from(_FRONT_LINES), max_size=5)),
    ]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(_CLOSER_LINES)))
    lines += draw(st.lists(st.sampled_from(_BODY_LINES), max_size=5))
    data = draw(st.sampled_from(["\n", "\r\n"])).join(lines).encode()
    if draw(st.booleans()):  # bytes that are not UTF-8, somewhere
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xff", "正文".encode("gbk"), b"\xe6\xad"]))
            + data[at:]
        )
    return data + draw(st.sampled_from([b"", b"\n", b"\r\n"]))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_post_files())
def test_reading_only_the_front_matter_learns_what_reading_everything_does(data: bytes):
    from feedtool.validate import analyze_bytes

    head = analyze_bytes(data, SITE, "p.md", "d", complete=False)
    whole = analyze_bytes(data, SITE, "p.md", "d", complete=True)
    assert head.body_findings is None and whole.body_findings is not None
    assert head == whole._replace(links=(), body_findings=None)


def test_front_matter_only_reads_of_real_posts():
    from feedtool.validate import analyze_bytes

    files = [*REPO_POSTS.glob("*.md"), *(Path(__file__).parent / "data").rglob("*.md")]
    assert len(files) > 30
    for path in files:
        data = path.read_bytes()
        head = analyze_bytes(data, SITE, str(path), "d", complete=False)
        assert head == analyze_bytes(data, SITE, str(path), "d", complete=True)._replace(
            links=(), body_findings=None
        ), path


def test_the_front_matter_is_cut_out_of_crlf_and_bom_files_too():
    assert (
        posts._front_matter_bytes(b"---\r\ntitle: t\r\n---\r\nbody\r\n")
        == b"---\r\ntitle: t\r\n---\r\n"
    )
    assert (
        posts._front_matter_bytes(b"\xef\xbb\xbf+++\ntitle = 't'\n+++\nbody")
        == b"\xef\xbb\xbf+++\ntitle = 't'\n+++\n"
    )
    assert posts._front_matter_bytes(b"---\ntitle: t\n...") == b"---\ntitle: t\n..."
    assert (
        posts._front_matter_bytes(b'{"title": "t"}\nbody') == b'{"title": "t"}\nbody'
    )  # JSON: read whole


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["a", "b", "c", "你好"]),
            st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"]),
        ),
        max_size=12,
    )
)
def test_newest_first_is_by_instant_then_slug(specs: list[tuple[int, str, str]]):
    # Few distinct instants and slugs, in several zones, so that ties are common.
    made = []
    for number, (hours, slug, zone) in enumerate(specs):
        moment = datetime(2025, 11, 2, 4, tzinfo=ZoneInfo("UTC")).timestamp() + 1800 * hours
        date = datetime.fromtimestamp(moment, ZoneInfo(zone))
        made.append(
            posts.Post(
                path=f"p{number}.md",
                slug=slug,
                title="t",
                date=date,
                permalink="https://a/",
                id="id",
                body="",
                body_line=5,
            )
        )
    ordered = posts.newest_first(made)
    keys = [(p.date.timestamp(), p.slug) for p in ordered]
    assert keys == sorted(keys, reverse=True)
    assert sorted(map(id, ordered)) == sorted(map(id, made))


@pytest.mark.parametrize("limit", [4095, 4096, 10**6])
@pytest.mark.parametrize("length", [0, 1, 4096, 200_000])
def test_a_file_is_read_whole_up_to_the_limit(tmp_path: Path, limit: int, length: int):
    data = bytes(range(256)) * (length // 256) + b"x" * (length % 256)
    (tmp_path / "p.md").write_bytes(data)
    if length > limit:
        with pytest.raises(OSError, match="larger than"):
            read_regular_file(str(tmp_path / "p.md"), limit=limit)
    else:
        assert read_regular_file(str(tmp_path / "p.md"), limit=limit) == data


def test_post_files_lists_as_find_does_with_each_files_stat(tmp_path: Path):
    (tmp_path / "a.md").write_text("---\ntitle: a\n---\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.markdown").write_text("b", encoding="utf-8")
    (tmp_path / "link.md").symlink_to(tmp_path / "a.md")
    listed = post_files(tmp_path, stat=True)
    assert (
        listed.files
        == find(tmp_path)
        == sorted(
            str(p)
            for p in (tmp_path / "a.md", tmp_path / "link.md", tmp_path / "sub" / "b.markdown")
        )
    )
    assert listed.stats is not None
    stats = dict(zip(listed.files, listed.stats, strict=True))
    assert stats[str(tmp_path / "a.md")] == identity((tmp_path / "a.md").lstat())
    assert stats[str(tmp_path / "link.md")] is None  # not a regular file: the reader reports it
    assert post_files(tmp_path, stat=False).stats is None
    assert (
        post_files(tmp_path, stat=0.5).stats == listed.stats[:2]
    )  # the first half, rounded up: 2 of 3
    for listing in (listed, PostFiles([], None), PostFiles([str(tmp_path / "a b.md")], [None])):
        assert pickle.loads(pickle.dumps(listing)) == listing  # as the helper sends it
    with pytest.raises(NotADirectoryError):
        post_files(tmp_path / "a.md", stat=True)


# A post that is not published must say why ----------------------------------------------------

_field_values = st.sampled_from(
    [
        "",
        "~",
        "''",
        "[a, b]",
        "{a: 1}",
        "1",
        "true",
        "t",
        "2025-08-24",
        "二月 30, 2025",
        "昨天",
        "八月 24, 2025",
        "x\\x01",
    ]
)


@given(
    title=st.one_of(st.none(), _field_values),
    date=st.one_of(st.none(), _field_values),
    draft=st.one_of(st.none(), st.sampled_from(["true", "false", "yes", "~"])),
)
@settings(max_examples=300, deadline=None)
def test_a_post_is_left_out_only_with_an_error(title, date, draft):
    lines = [
        f"{key}: {value}"
        for key, value in (("title", title), ("date", date), ("draft", draft))
        if value is not None
    ]
    loaded = load("---\n" + "\n".join(lines) + "\n---\n\n正文。\n")
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    assert (loaded.post is None) == bool(errors), [d.text() for d in loaded.diagnostics]


def test_a_file_name_that_is_not_utf8_is_a_slug_error_not_a_crash(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feedtool.toml").write_text(
        'title = "t"\nbase_url = "https://a.example"\n', encoding="utf-8"
    )
    posts = os.fsencode(tmp_path / "posts")
    os.mkdir(posts)
    with open(posts + b"/bad\xff.md", "w", encoding="utf-8") as post:
        post.write("---\ntitle: t\ndate: 2025-08-24\n---\n正文\n")
    result = run("build")
    assert result.exit_code == 1 and "FT207" in result.stderr and "not UTF-8" in result.stderr
    with open(
        posts + b"/bad\xff.md", "w", encoding="utf-8"
    ) as post:  # with a slug of its own, it builds
        post.write("---\ntitle: t\ndate: 2025-08-24\nslug: ok\n---\n正文\n")
    assert run("build").exit_code == 0
