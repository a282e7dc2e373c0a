"""Where a Markdown body shows code, found as feedtool's renderer (Python-Markdown) finds it.

Its fences follow Python-Markdown, not CommonMark: a fence starts its line (no indent), and only
the same run of ``` or ~~~ closes it (a longer one does not); an unclosed fence is text.

>>> text = "a\\n```py\\ncode\\n~~~\\n````\\n```\\nb\\n"
>>> [text[start:end] for start, end in fenced_blocks(text)]
['```py\\ncode\\n~~~\\n````\\n```']
>>> 6 in Code("list:\\n\\n    ```\\n    [a](b.png)\\n    ```\\n")  # a code span, not a block
False
"""

from __future__ import annotations

import bisect
import re

# A fenced code block, by the pattern of Python-Markdown's fenced_code (FencedBlockPreprocessor.
# FENCED_BLOCK_RE), written out here so that checking a post never imports Markdown:
# tests/test_markdown_code.py checks it against Markdown's own. Its spaces may be tabs: Markdown
# expands tabs before it looks for fences.
_FENCED_BLOCK = re.compile(
    r"""(?P<fence>^(?:~{3,}|`{3,}))[ \t]*((\{(?P<attrs>[^\n]*)\})|(\.?(?P<lang>[\w#.+-]*)[ \t]*)?"""
    r"""(hl_lines=(?P<quot>"|')(?P<hl_lines>.*?)(?P=quot)[ \t]*)?)\n(?P<code>.*?)(?<=\n)"""
    r"""(?P=fence)[ \t]*$""",
    re.MULTILINE | re.DOTALL,
)
_TICKS = re.compile(r"`+")
# Where a paragraph ends: a blank line.
_BLANK_LINE = re.compile(r"\n[ \t]*\n")

Spans = list[tuple[int, int]]


def fence_before(text: str, at: int) -> bool:
    """Whether a code fence may open before `at` (if not, nothing there is fenced code)."""
    return text.find("```", 0, at) >= 0 or text.find("~~~", 0, at) >= 0


def fenced_blocks(text: str) -> Spans:
    """(start, end) of each fenced code block of `text`, fences included, in order."""
    # What _FENCED_BLOCK.finditer finds, tried only where a line starts with a fence: a scan
    # of every offset costs a post's check several times more.
    blocks: Spans = []
    end = 0
    for at in _fence_starts(text):
        if at >= end and (block := _FENCED_BLOCK.match(text, at)):
            blocks.append(block.span())
            end = block.end()
    return blocks


def _fence_starts(text: str) -> list[int]:
    """Where a line of `text` starts with ``` or ~~~, in order."""
    starts = []
    for fence in ("```", "~~~"):
        at = text.find(fence)
        while at >= 0:
            if at == 0 or text[at - 1] == "\n":
                starts.append(at)
            at = text.find(fence, at + 3)
    return sorted(starts)


def in_block(blocks: Spans, at: int) -> bool:
    """Whether offset `at` is strictly inside one of `blocks` (from `fenced_blocks`)."""
    index = bisect.bisect_left(blocks, (at,)) - 1  # the last block starting before `at`
    return index >= 0 and at < blocks[index][1]


def without_blocks(text: str) -> str:
    """`text` with its fenced code blocks taken out."""
    kept, last = [], 0
    for start, end in fenced_blocks(text):
        kept.append(text[last:start])
        last = end
    return "".join(kept) + text[last:] if kept else text


class Code:
    """The code a Markdown text shows: `at in Code(text)` when offset `at` is in a fenced block
    or an inline code span. Indented code blocks are not looked for, nor how Markdown goes on
    after a run of backticks that nothing closes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks = fenced_blocks(text)
        self._breaks: list[int] | None = None
        self._spans: dict[int, Spans] = {}  # by paragraph start

    def __contains__(self, at: int) -> bool:
        if in_block(self.blocks, at):
            return True
        start, end = self._paragraph(at)
        if start not in self._spans:
            self._spans[start] = code_spans(self.text, start, end)
        return in_block(self._spans[start], at)

    def _paragraph(self, at: int) -> tuple[int, int]:
        """Where the paragraph around `at` (not in a fenced block) starts and ends."""
        if self._breaks is None:
            self._breaks = [
                point for blank in _BLANK_LINE.finditer(self.text) for point in blank.span()
            ]
            self._breaks += [point for block in self.blocks for point in block]
            self._breaks.sort()
        index = bisect.bisect_right(self._breaks, at)
        start = self._breaks[index - 1] if index else 0
        end = self._breaks[index] if index < len(self._breaks) else len(self.text)
        return start, end


def code_spans(text: str, start: int, end: int) -> Spans:
    """(start, end) of each inline code span of the paragraph text[start:end], paired as
    Python-Markdown's BacktickInlineProcessor pairs runs of backticks."""
    spans = []
    at = text.find("`", start, end)
    while at >= 0:
        if at and text[at - 1] == "\\":  # an escaped backtick
            at = text.find("`", at + 1, end)
            continue
        opened = _TICKS.match(text, at, end)
        assert opened is not None
        ticks, longest, closing = len(opened[0]), None, None
        for run in _TICKS.finditer(text, opened.end(), end):
            if len(run[0]) == ticks:
                closing = run
                break
            if longest is None or len(run[0]) > len(longest[0]):
                longest = run
        if closing is None and longest is not None and len(longest[0]) < ticks:
            closing = longest  # Markdown's fallback: the run's last backticks open it
        if closing is None:
            at = text.find("`", opened.end(), end)
            continue
        spans.append((opened.end() - len(closing[0]), closing.end()))
        at = text.find("`", closing.end(), end)
    return spans
