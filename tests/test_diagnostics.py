"""`diagnostics.place`: the one (line, column) of a text offset."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feedtool.diagnostics import place


@given(st.text(alphabet="a文\n\t", max_size=30), st.integers(1, 9), st.data())
def test_place_is_the_line_and_character_column_an_editor_shows(text, first, data):
    offset = data.draw(st.integers(0, len(text)))
    lines = text[:offset].split("\n")
    assert place(text, offset, first) == (first + len(lines) - 1, len(lines[-1]) + 1)
