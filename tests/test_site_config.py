"""A generator's config read as the generator reads it; its errors named in its own terms."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from conftest import write_post

POST = "---\ntitle: 你好\ndate: 2025-08-24 10:00:00\n---\n\n正文。\n"


def hexo_site(root: Path, config: str) -> Path:
    (root / "_config.yml").write_text(config, encoding="utf-8")
    write_post(root / "source" / "_posts", "hello.md", POST)
    return root


def test_a_hexo_config_with_blocks_indented_by_tabs_reads_as_hexo_reads_it(
    tmp_path: Path, run, monkeypatch
):
    # Hexo turns the tabs that start a line into two spaces each (hexo-front-matter's escape),
    # and js-yaml takes a tab between a key and its value as a space.
    hexo_site(
        tmp_path,
        "title:\t制表符博客\nurl: https://tab.example.com\ntimezone: Asia/Shanghai\n"
        "menu:\n\thome: /\n\tabout: /about/\ndeploy:\n\ttype: git\n\t\t# comment\n",
    )
    monkeypatch.chdir(tmp_path)
    result = run("build", "--out", "public")
    assert result.exit_code == 0, result.output
    feed = feedparser.parse(tmp_path / "public" / "atom.xml")
    assert feed.feed.title == "制表符博客"
    assert feed.entries[0].link == "https://tab.example.com/2025/08/24/hello/"


@pytest.mark.parametrize(
    "config, expected",
    [
        # A tab after spaces in an indentation: Hexo refuses it too.
        (
            "title: t\nurl: https://e.com\nmenu:\n  home: /\n \tabout: /about\n",
            "_config.yml:5:2: found a tab character that violates indentation",
        ),
        ("title: [t\nurl: https://e.com\n", "_config.yml:2:4: did not find expected ',' or ']'"),
        ("title: t\nurl: ftp://e.com\n", "_config.yml:2: url: expected an absolute http(s) URL"),
        ("title: t\nurl: [https://e.com]\n", "_config.yml:2: url must be a string, got a list"),
        (
            "title: t\nurl: https://e.com\nsource_dir: [a]\n",
            "_config.yml:3: source_dir must be a folder name",
        ),
        (
            "title: t\nurl: https://e.com\ntimezone: Mars/Base\n",
            "_config.yml:3: timezone: unknown IANA time zone",
        ),
    ],
)
def test_a_config_error_names_the_file_line_and_the_generators_key(
    tmp_path: Path, run, monkeypatch, config: str, expected: str
):
    hexo_site(tmp_path, config)
    monkeypatch.chdir(tmp_path)
    for command in (("build",), ("validate",)):
        result = run(*command)
        assert result.exit_code == 2 and "internal error" not in result.output, result.output
        assert expected in result.stderr, result.stderr
        assert "<unicode string>" not in result.stderr and "\n  in " not in result.stderr


def test_a_yaml_error_names_the_key_it_is_in(tmp_path: Path, run, monkeypatch):
    hexo_site(tmp_path, 'title: t\nurl: https://e.com\nmenu:\n  home: /\n  about: "/about\n')
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 2 and "(in 'menu')" in result.stderr, result.stderr


def test_a_jekyll_config_reads_as_psych_does(tmp_path: Path, run, monkeypatch):
    # Psych (libyaml) takes a tab between tokens, and refuses one that indents, naming its line.
    (tmp_path / "_config.yml").write_text(
        "title:\tJ\nurl: https://j.example.com\t# site\n", encoding="utf-8"
    )
    write_post(tmp_path / "_posts", "2025-08-24-hello.md", POST)
    monkeypatch.chdir(tmp_path)
    assert run("build").exit_code == 0
    (tmp_path / "_config.yml").write_text(
        "title: J\nurl: https://j.example.com\ndefaults:\n\t- scope: x\n", encoding="utf-8"
    )
    result = run("build")
    assert (
        result.exit_code == 2
        and "_config.yml:4:1: found character that cannot start any token" in result.stderr
    )
    assert "(in 'defaults')" in result.stderr and "indent with spaces, not tabs" in result.stderr
