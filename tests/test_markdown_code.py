"""Where a Markdown body shows code (`feedtool.markdown_code`), checked against Markdown itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedtool.markdown_code import Code, fenced_blocks, in_block, without_blocks
from feedtool.render import _markdown

_fence_lines = st.sampled_from(
    [
        "```",
        "~~~",
        "````",
        "~~~~",
        "```python",
        "``` python",
        "```.py",
        "```{.py #a}",
        '```python hl_lines="1 2"',
        "```~",
        "``` `",
        "code",
        "",
        "<!--more-->",
        "   ```",
        "a ```",
        "```` ~~~",
    ]
)


@given(st.lists(_fence_lines, max_size=12))
@settings(max_examples=300, deadline=None)
def test_fenced_blocks_are_found_as_markdown_finds_them(lines):
    from markdown.extensions.fenced_code import FencedBlockPreprocessor

    text = (
        "\n".join(lines) + "\n"
    )  # (no tabs here: Markdown expands them first, which moves what follows)
    ours = fenced_blocks(text)
    assert ours == [
        block.span() for block in FencedBlockPreprocessor.FENCED_BLOCK_RE.finditer(text)
    ]
    assert without_blocks(text) == FencedBlockPreprocessor.FENCED_BLOCK_RE.sub("", text)


@pytest.mark.parametrize(
    "text, code",
    [
        ("```py\nx\n```\n", ["```py\nx\n```"]),  # an info string
        ("~~~\nx\n~~~\n", ["~~~\nx\n~~~"]),
        ("```\nx\n~~~\n```\n", ["```\nx\n~~~\n```"]),  # ~~~ does not close ```
        ("````\nx\n```\n````\n", ["````\nx\n```\n````"]),  # nor a shorter run
        ("```\nx\n````\n", []),  # nor a longer one (CommonMark's would): never closed
        ("   ```\nx\n   ```\n", []),  # an indented fence is no fence to Python-Markdown
        ("text\n```\nx\n", []),
    ],
)
def test_fence_rules(text: str, code: list[str]):
    assert [text[start:end] for start, end in fenced_blocks(text)] == code
    assert without_blocks(text) == re.sub("|".join(map(re.escape, code)) or "^$", "", text)


def test_in_block_is_strictly_inside():
    blocks = [(2, 5), (9, 12)]
    assert [at for at in range(14) if in_block(blocks, at)] == [3, 4, 10, 11]


_LINK = "[i](p.png)"
_link_lines = st.sampled_from(
    # (a code span in a paragraph of its own: where a run of backticks finds no closing run,
    # Markdown's inline processor resumes in ways `Code` does not follow)
    ["```", "~~~", "````", "~~~~", "  ```py", "\n`a` " + _LINK + "\n", _LINK, "文字", ""]
)


@given(st.lists(_link_lines, max_size=12))
@settings(max_examples=500, deadline=None)
def test_code_is_what_markdown_shows_as_code(lines: list[str]):
    # A link is a link unless Markdown shows it as code: in a fenced block, or in a code span
    # (which goes on over the lines of its paragraph, as between indented fences in a list).
    text = "\n".join(lines) + "\n"
    converter = _markdown()
    converter.reset()
    links = converter.convert(text).count('href="p.png"')
    code = Code(text)
    places = [found.start() + 4 for found in re.finditer(re.escape(_LINK), text)]
    assert sum(place not in code for place in places) == links, text


def test_a_code_span_over_lines_is_code():
    text = "1. step\n\n    ```sh\n    [i](p.png)\n    ```\n\n[j](q.png)\n"
    code = Code(text)
    assert text.index("p.png") in code and text.index("q.png") not in code
