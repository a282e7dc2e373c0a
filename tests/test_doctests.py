"""The examples in the modules' docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "config",
    "dates",
    "diagnostics",
    "images",
    "importer",
    "mailtext",
    "posts",
    "render",
    "templating",
    "validate",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    result = doctest.testmod(importlib.import_module(f"feedtool.{name}"))
    assert result.failed == 0
