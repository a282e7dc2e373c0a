"""The docs stay true to the code: every diagnostic code, config key and command is documented,
every link inside the repository resolves, and the examples in the docs run as written."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from datetime import datetime
from pathlib import Path

import click
import pytest
from conftest import REPO

from feedtool import config
from feedtool.cli import cli
from feedtool.dates import DateError, format_rfc3339, parse_date

DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """Markdown without its code blocks: what is rendered as text, headings and links."""
    return _FENCE.sub("", text)


def _headings(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each heading of `text`, outside code blocks."""
    found, fence = [], ""
    for number, line in enumerate(text.split("\n")):
        if line.startswith(("```", "~~~")) and (not fence or line.startswith(fence)):
            fence = "" if fence else line[:3]
        elif not fence and re.match(r"#{1,6} ", line):
            found.append((number, line))
    return found


def _section(text: str, heading: str) -> str:
    """The text under the heading line `heading` up to the next heading of its level or above,
    code blocks included."""
    level = len(heading) - len(heading.lstrip("#"))
    headings = _headings(text)
    start = next(number for number, line in headings if line == heading) + 1
    end = next(
        (n for n, line in headings if n >= start and len(line) - len(line.lstrip("#")) <= level),
        None,
    )
    return "\n".join(text.split("\n")[start:end])


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for _, line in _headings(page.read_text(encoding="utf-8")):
        if match := re.match(r"#{1,6} (.+)", line):
            slug = _slug(match[1])
            n = 0
            while (slug if n == 0 else f"{slug}-{n}") in found:
                n += 1
            found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def _links(page: Path) -> list[str]:
    text = _CODE_SPAN.sub("", _prose(page.read_text(encoding="utf-8")))
    return _LINK.findall(text)


# ------------------------------------------------------------------ diagnostic codes


def _emitted_codes() -> set[str]:
    """Every FTnnn code named anywhere in feedtool's source."""
    return {
        code
        for path in (REPO / "feedtool").rglob("*.py")
        for code in re.findall(r"\bFT\d{3}\b", path.read_text(encoding="utf-8"))
    }


def _documented_codes() -> dict[str, str]:
    """Each `### FTnnn` section of docs/diagnostics.md: code -> its text."""
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    codes = re.findall(r"^### (FT\d{3})$", text, re.MULTILINE)
    return {code: _section(text, f"### {code}") for code in codes}


def test_every_code_feedtool_emits_has_a_section_in_diagnostics_md() -> None:
    emitted = _emitted_codes()
    assert len(emitted) >= 25  # the scan finds the codes at all
    missing = emitted - set(_documented_codes())
    assert not missing, f"document {sorted(missing)} in docs/diagnostics.md"


def test_diagnostics_md_documents_no_code_feedtool_lacks() -> None:
    stale = set(_documented_codes()) - _emitted_codes()
    assert not stale, f"docs/diagnostics.md documents codes feedtool no longer has: {stale}"


def test_each_code_section_has_a_severity_and_an_example_of_that_code() -> None:
    for code, text in _documented_codes().items():
        assert re.search(r"\*\*(error|warning)\*\*", text), code
        example = re.search(r"```\n(.+?)\n```", text, re.DOTALL)
        assert example and f" {code} " in example[1], f"{code}: no example line of {code}"


# ------------------------------------------------------------------ config keys


def _keys(cls: type) -> dict[str, type | None]:
    """The keys a config table accepts (as config.py reads them), each with its table class if
    it is a table of its own."""
    hints = typing.get_type_hints(cls)
    return {
        f.metadata.get("key", f.name): (
            hints[f.name] if dataclasses.is_dataclass(hints[f.name]) else None
        )
        for f in dataclasses.fields(cls)
        if not f.metadata.get("internal")
    }


def _table_keys(text: str) -> set[str]:
    """The keys in the first column of the Markdown tables of `text`."""
    return set(re.findall(r"^\| `([\w.]+)` \|", text, re.MULTILINE))


def test_the_key_list_is_what_config_accepts() -> None:
    base = 'title = "t"\nbase_url = "https://example.com"\n'
    for key, table in _keys(config.Site).items():
        if table is not None:  # a known table: loads, or needs a key (an empty [dkim] does)
            try:
                config.loads(f"{base}[{key}]\n")
            except config.ConfigError as exc:
                assert "needs" in str(exc) and "unknown" not in str(exc), exc
    with pytest.raises(config.ConfigError, match="unknown key"):
        config.loads(base + "no_such_key = 1\n")


def test_every_config_key_is_in_configuration_md() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    top = _keys(config.Site)
    documented = _table_keys(_section(text, "## Top-level keys"))
    missing = [key for key, table in top.items() if table is None and key not in documented]
    for name, table in top.items():
        if table is None:
            continue
        heading = f"## `[{name}]`"
        assert heading in text.split("\n"), f"docs/configuration.md lacks a section {heading}"
        documented = _table_keys(_section(text, heading))
        missing += [f"{name}.{key}" for key in _keys(table) if key not in documented]
    assert not missing, f"document {missing} in docs/configuration.md"


def test_the_toml_examples_in_the_docs_load() -> None:
    blocks = [
        (page, block)
        for page in PAGES
        for block in re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    ]
    assert len(blocks) >= 5
    for page, block in blocks:
        data = tomllib.loads(block)
        required = "".join(
            f'{key} = "{value}"\n'
            for key, value in (("title", "t"), ("base_url", "https://example.com"))
            if key not in data
        )
        try:
            config.loads(required + block, source=page.name)
        except config.ConfigError as exc:
            pytest.fail(f"{page.name}: {exc}\n{block}")


# ------------------------------------------------------------------ commands


def _commands(group: click.Group, prefix: str = "feedtool") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
    return found


def test_the_readme_commands_section_names_every_command() -> None:
    section = _section((REPO / "README.md").read_text(encoding="utf-8"), "## Commands")
    for path, _ in _commands(cli):
        *parents, name = path.split(" ")
        written = f"`{path}" if len(parents) == 1 else f"`{name}`"
        assert written in section, f"README.md's Commands section does not name {path}"


def test_commands_md_has_a_section_with_every_option_of_every_command() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    headings = [line for _, line in _headings(text)]
    for path, command in _commands(cli):
        heading = next((line for line in headings if line.endswith(f" `{path}`")), None)
        assert heading, f"docs/commands.md has no section `{path}`"
        section = _section(text, heading)
        for param in command.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                option = max(param.opts, key=len)
                assert re.search(rf"{option}(?![\w-])", section), (
                    f"{path}: {option} is not documented"
                )
    for option in ("--debug", "--version"):
        assert option in text


# ------------------------------------------------------------------ links


def test_every_relative_link_resolves_inside_the_repository() -> None:
    checked = 0
    for page in PAGES:
        for target in _links(page):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            assert "shared/" not in target, f"{page.name} links outside the repository: {target}"
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            assert file.is_relative_to(REPO), f"{page.name}: {target} leaves the repository"
            assert file.exists(), f"{page.name}: {target} does not exist"
            if anchor and file.suffix == ".md":
                assert anchor in _anchors(file), f"{page.name}: no heading #{anchor} in {path}"
            checked += 1
    assert checked >= 50  # the scan finds the links at all


def test_the_anchor_of_a_heading_is_githubs() -> None:
    assert _slug("Fixing with `--fix`") == "fixing-with---fix"
    assert _slug("`[tag_feeds]`") == "tag_feeds"
    assert _slug("Reading the file (FT1xx)") == "reading-the-file-ft1xx"


# ------------------------------------------------------------------ dates


def _date_examples() -> list[tuple[str, str, str]]:
    """(zone, written, read as) from docs/dates.md's example tables."""
    text = (DOCS / "dates.md").read_text(encoding="utf-8")
    found = []
    tables = re.finditer(
        r"^\| written(?: in (\S+))? \| read as \|\n\|---\|---\|\n((?:\|.*\n)+)", text, re.MULTILINE
    )
    for table in tables:
        zone = table[1] or "Asia/Shanghai"
        for row in table[2].splitlines():
            cells = re.fullmatch(r"\| `(.*)` \| (.*) \|", row)
            assert cells, f"docs/dates.md: not an example row: {row}"
            found.append((zone, cells[1], cells[2]))
    return found


def test_the_date_examples_in_dates_md_are_what_feedtool_reads() -> None:
    examples = _date_examples()
    assert len(examples) >= 60
    now = datetime.fromisoformat("2025-08-27T12:00:00+08:00")
    for zone, written, read in examples:
        try:
            got = format_rfc3339(parse_date(written, tz=zone, now=now))
        except DateError as exc:
            got = f"error: {exc.reason}"
        assert f"`{got}`" == read or got == read, f"{written!r} in {zone}"
