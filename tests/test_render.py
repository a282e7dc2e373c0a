"""Markdown rendering: sanitizing, absolute URLs, summaries."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from conftest import post_of
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from feedtool import config, posts
from feedtool.render import html_to_text, render, to_html, truncate_html

BASE = "https://pan.example.com/posts/glm-vl/"
SITE = config.loads('title = "t"\nbase_url = "https://pan.example.com"\nsummary_length = 40')


def parse(fragment: str):
    return lxml_html.fragment_fromstring(fragment, create_parent="div")


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>正文",
        '<img src="x.png" onerror="alert(1)">',
        "[点我](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example/"></iframe>',
        '<form action="https://evil.example/"><input name="q"></form>',
        '<p style="color:red">红</p><style>p{}</style>',
        '<img srcset="javascript:alert(1) 1x" src="a.png">',
    ],
)
def test_dangerous_markup_is_removed(source: str):
    tree = parse(to_html(source, BASE))
    assert not tree.xpath("//script|//iframe|//form|//input|//style")
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert not name.startswith("on"), (name, value)
            assert name != "style"
            assert "javascript:" not in value.lower()


def test_relative_urls_become_absolute_against_the_permalink():
    source = (
        "[同目录](notes.html) [上级](../qwen-vl/) [根](/about/) [锚点](#top) [外链](https://example.org/x)\n\n"
        '![图](images/fig1.png)\n\n<img src="/img/a.png" srcset="/img/a.png 1x, b@2x.png 2x" '
        'alt="a">'
    )
    tree = parse(to_html(source, BASE))
    hrefs = [a.get("href") for a in tree.iter("a")]
    assert hrefs == [
        "https://pan.example.com/posts/glm-vl/notes.html",
        "https://pan.example.com/posts/qwen-vl/",
        "https://pan.example.com/about/",
        "https://pan.example.com/posts/glm-vl/#top",
        "https://example.org/x",
    ]
    images = list(tree.iter("img"))
    assert images[0].get("src") == "https://pan.example.com/posts/glm-vl/images/fig1.png"
    assert images[0].get("alt") == "图"
    assert images[1].get("src") == "https://pan.example.com/img/a.png"
    assert (
        images[1].get("srcset")
        == "https://pan.example.com/img/a.png 1x, https://pan.example.com/posts/glm-vl/b@2x.png 2x"
    )


def test_markdown_extras_render():
    out = to_html("```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", BASE)
    tree = parse(out)
    assert tree.xpath("//pre/code[@class='language-python']")[0].text == "print(1)\n"
    assert tree.xpath("//table//td/text()") == ["1", "2"]


def _post(body: str, **front: str) -> posts.Post:
    lines = [
        "---",
        "title: 标题",
        "date: 2025-08-24",
        *[f"{k}: {v}" for k, v in front.items()],
        "---",
        body,
    ]
    return post_of(posts.loads("\n".join(lines), SITE, path=Path("glm-vl.md")))


def test_summary_from_front_matter_wins():
    rendered = render(
        _post("正文第一句。\n\n<!--more-->\n\n后文。", summary="手写的**摘要**"), SITE
    )
    assert rendered.summary_html == "<p>手写的<strong>摘要</strong></p>"


@pytest.mark.parametrize("marker", ["<!--more-->", "<!-- more -->", "<!--  MORE -->"])
def test_summary_is_the_text_before_the_more_marker(marker: str):
    rendered = render(_post(f"第一段。\n\n第二段[链接](x/)。\n\n{marker}\n\n隐藏的后文。"), SITE)
    assert (
        rendered.summary_html
        == '<p>第一段。</p>\n<p>第二段<a href="https://pan.example.com/posts/glm-vl/x/">链接</a>。</p>'
    )
    assert "隐藏的后文" in rendered.content_html and "more" not in rendered.content_html


def test_a_more_marker_in_a_code_block_is_code_not_the_summarys_end():
    # A post about Hugo's summaries shows the marker in an example: it stays in the code, and
    # only a marker outside code ends the summary.
    example = "```markdown\n摘要\n<!--more-->\n正文\n```\n"
    rendered = render(
        _post(f"介绍摘要分隔符的用法，示例如下。\n\n{example}\n以上就是全部内容。"), SITE
    )
    assert "&lt;!--more--&gt;" in rendered.content_html  # shown in the code, as written
    assert rendered.summary_text.startswith("介绍摘要分隔符的用法，示例如下。")
    assert "```" not in rendered.summary_html
    rendered = render(
        _post(f"示例：\n\n{example}\n真正的摘要到此。\n\n<!--more-->\n\n后文。"), SITE
    )
    assert (
        rendered.summary_text.endswith("真正的摘要到此。") and "后文" not in rendered.summary_html
    )
    assert "&lt;!--more--&gt;" in rendered.content_html and rendered.content_html.count("more") == 1


_pieces = st.sampled_from(
    [
        "```\n",
        "~~~\n",
        "````\n",
        "```python\n",
        "```\tpython\n",
        "```\t\n",
        "~~~~\n",
        "<!--more-->\n",
        "<!-- more -->\n",
        "text\n",
        "\n",
        "    code\n",
        "    <!--more-->\n",
        "   <!--more-->\n",
    ]
)


@given(st.lists(_pieces, max_size=14))
@settings(max_examples=300, deadline=None)
def test_a_marker_markdown_shows_as_code_is_never_taken(pieces):
    # Python-Markdown shows a marker inside a code block (fenced, or indented four spaces)
    # escaped: taking the markers out must leave every one of those where it is.
    from feedtool.render import _markdown

    def escaped_markers(text: str) -> int:
        converter = _markdown()
        converter.reset()
        shown = converter.convert(text)
        return shown.count("&lt;!--more--&gt;") + shown.count("&lt;!-- more --&gt;")

    body = "".join(pieces)
    assert escaped_markers(posts.without_more(body)) == escaped_markers(body)
    assert not list(
        posts.more_markers(posts.without_more(body))
    )  # and every other one is taken out
    before, after = posts.split_more(body)
    assert (after is None) == (not list(posts.more_markers(body)))


def test_summary_is_cut_at_a_sentence_end_with_an_ellipsis():
    body = (
        "大模型的发展方向有两个。一个往大的方向发展：不断的探索scaling law。"
        "一个是往小的方向发展：参数量比较小但是性能好。"
    )
    rendered = render(_post(body), SITE)
    assert (
        rendered.summary_text
        == "大模型的发展方向有两个。一个往大的方向发展：不断的探索scaling law。…"
    )
    assert rendered.summary_html.endswith("…</p>")


def test_short_bodies_are_not_cut():
    rendered = render(_post("很短的正文。"), SITE)
    assert rendered.summary_html == rendered.content_html == "<p>很短的正文。</p>"


def test_cut_never_splits_an_entity_or_a_tag():
    fragment = "<p>" + "甲" * 8 + "&amp;&lt;<em>" + "乙" * 10 + "</em>丙丙</p>"
    out = truncate_html(fragment, 12)
    assert out == "<p>" + "甲" * 8 + "&amp;&lt;<em>乙乙…</em></p>"


def test_the_ellipsis_stays_in_the_paragraph_the_cut_ends():
    first, second = "第一段文字" * 16 + "。", "第二段文字" * 30 + "。"
    out = truncate_html(f"<p>{first}</p>\n<p>{second}</p>", 150)
    assert out == f"<p>{first}…</p>"
    # ... but not inside the code, link or emphasis that ended there.
    for tag in ("code", "strong", "a"):
        out = truncate_html(f"<p>前文<{tag}>{first}</{tag}></p>\n<p>{second}</p>", 150)
        assert out.endswith(f"</{tag}>…</p>"), out


_texts = st.text(st.sampled_from(list("中文字句。！？；ab c&<>\"'")), min_size=0, max_size=60)


@st.composite
def html_fragments(draw) -> str:
    """Paragraphs of text with inline elements and entities, as Markdown produces them."""
    paragraphs = []
    for _ in range(draw(st.integers(1, 5))):
        runs = []
        for _ in range(draw(st.integers(1, 3))):
            text = html.escape(draw(_texts), quote=False)
            tag = draw(st.sampled_from(["", "em", "strong", "code"]))
            runs.append(f"<{tag}>{text}</{tag}>" if tag else text)
        paragraphs.append("<p>" + "".join(runs) + "</p>")
    return "\n".join(paragraphs)


@settings(max_examples=300, deadline=None)
@given(html_fragments(), st.integers(1, 80))
def test_truncation_properties(fragment: str, limit: int):
    out = truncate_html(fragment, limit)
    full_text, cut_text = html_to_text(fragment), html_to_text(out)
    # Well-formed: lxml's serialization of the parsed fragment has the same text.
    assert html_to_text(lxml_html.tostring(parse(out), encoding="unicode")) == cut_text
    if len(full_text) <= limit:
        assert out == fragment
    else:
        assert cut_text.endswith("…")
        assert "</p>…" not in out  # the ellipsis ends the paragraph it belongs to
        kept = cut_text[:-1].rstrip()
        assert full_text.startswith(kept)
        assert len(kept) <= limit
