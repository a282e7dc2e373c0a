"""Shared fixtures: a copy of the sample blog in a temporary folder, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedtool.cli import cli

REPO = Path(__file__).resolve().parents[1]
# ../shared holds the Atom RELAX NG and JSON Feed schemas; tests that need it skip without it.
SHARED = Path(os.environ.get("FEEDTOOL_SHARED", REPO.parent / "shared"))
SCHEMAS = SHARED / "schemas"


@pytest.fixture
def blog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample blog (feedtool.toml + posts/); the working folder is set to it."""
    root = tmp_path / "blog"
    root.mkdir()
    shutil.copy(REPO / "feedtool.toml", root / "feedtool.toml")
    shutil.copytree(REPO / "posts", root / "posts")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def run():
    """Invoke the CLI in-process: run("build", "--out", "x") -> click Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def write_post(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a post file (text as UTF-8, or raw bytes) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
