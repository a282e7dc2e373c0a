"""Hostile values in one post or setting: a diagnostic with its file and line (exit 1), or a
clear config error, from every command; never an internal error (exit 2)."""

from __future__ import annotations

import email
import json
import os
import resource
import subprocess
from email import policy
from pathlib import Path

import feedparser
import pytest
from conftest import spawn_feedtool, write_post
from lxml import etree
from lxml import html as lxml_html

COMMANDS = (("validate",), ("build",), ("digest", "--latest"))
LONG = "1" * 4301  # one digit more than Python turns into an int by default


def assert_every_command_reports(run, blog: Path, name: str, text: str, expected: str) -> None:
    """Each command exits 1 and prints `expected` (a diagnostic's start) for posts/`name`."""
    write_post(blog / "posts", name, text)
    for command in COMMANDS:
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        assert f"posts/{name}:{expected}" in result.output, (command, result.output)


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"---\ntitle: t\ndate: 2025-08-24\nweight: {LONG}\n---\nbody\n", "4:9: error FT112"),
        (
            f'+++\ntitle = "t"\ndate = 2025-08-24\nweight = [1, {LONG}]\n+++\nbody\n',
            "4:14: error FT112",
        ),
        (
            f'+++\ntitle = "t"\ndate = 2025-08-24\nweight = 0x{"f" * 3600}\n+++\nbody\n',
            "4:12: error FT112",
        ),
        (
            f'{{"title": "t", "date": "2025-08-24",\n "weight": {LONG}}}\nbody\n',
            "2:12: error FT112",
        ),
    ],
)
def test_a_number_too_long_for_python_is_a_diagnostic(blog: Path, run, text: str, expected: str):
    assert_every_command_reports(run, blog, "long.md", text, expected)
    assert "4300 digits" in run("validate").output


def test_a_number_too_long_in_the_config_is_a_config_error(blog: Path, run):
    config = blog / "feedtool.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"\n[extra]\nweight = {LONG}\n", encoding="utf-8"
    )
    result = run("validate")
    assert result.exit_code == 2 and "internal error" not in result.output
    assert "feedtool.toml: cannot read a value: Exceeds the limit (4300 digits)" in result.stderr


@pytest.mark.parametrize(
    "line, expected",
    [
        # year 10000 in the site's +08:00
        ("date: 2025-08-24\nupdated: 9999-12-31T20:00:00+00:00", "4:10: error FT201"),
        ("date: 0001-01-01T00:00:00+14:00", "3:7: error FT201"),  # before year 1 in UTC
        ("date: 0001-01-01", "3:7: error FT201"),  # midnight in Shanghai: 0000-12-31 in UTC
    ],
)
def test_a_date_out_of_range_in_utc_or_the_site_zone_is_a_diagnostic(
    blog: Path, run, line: str, expected: str
):
    assert_every_command_reports(
        run, blog, "far.md", f"---\ntitle: t\n{line}\n---\nbody\n", expected
    )
    assert "out of the range" in run("validate").output


@pytest.mark.parametrize("output_format", ["text", "json", "github"])
def test_a_lone_surrogate_in_a_key_is_printed_escaped(blog: Path, run, output_format: str):
    write_post(
        blog / "posts", "key.md", '{"title": "t", "date": "2025-08-24", "\\ud800": 1}\nbody\n'
    )
    result = run("validate", "--strict", "--format", output_format)
    assert result.exit_code == 1, result.output
    shown = result.stdout
    if output_format == "json":
        shown = "\n".join(d["message"] for d in json.loads(result.stdout))
    assert "'\\ud800' contains U+D800, which XML forbids" in shown  # (no FT115: the key is no typo)


def test_an_ipv6_base_url_gives_valid_mail_headers(blog: Path, run):
    config = blog / "feedtool.toml"
    text = config.read_text(encoding="utf-8").replace(
        'base_url = "https://pan.example.com"', 'base_url = "https://[::1]:8080"'
    )
    text = text.replace('from = "pan 的博客 <newsletter@pan.example.com>"\n', "")
    config.write_text(text, encoding="utf-8")
    result = run("digest", "--week", "2025-W34")
    assert result.exit_code == 0, result.output
    eml = (blog / "public/digest/2025-W34.eml").read_bytes()
    message = email.message_from_bytes(eml, policy=policy.default)
    for name in ("Message-ID", "From", "List-Id"):
        assert not message[name].defects, (name, message[name], message[name].defects)
    assert message["From"].addresses[0].domain == "localhost"
    assert message["List-Archive"] == "<https://[::1]:8080/digest/>"


def _small_memory() -> None:
    """In the child: at most 1 GB of address space, so reading a device fails fast, not the
    machine."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def bounded(blog: Path, *command: str, timeout: float = 20) -> tuple[int, str]:
    """Run feedtool in a child with at most 1 GB of memory; (exit code, standard error). A hang
    fails the test after `timeout` seconds rather than blocking it."""
    child = spawn_feedtool(
        blog, *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_small_memory
    )
    try:
        _, err = child.communicate(timeout=timeout)
    finally:
        child.kill()
    return child.returncode, err.decode()


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
@pytest.mark.parametrize(
    "args",
    [
        ("import", "{}", "--into", "imported"),
        ("validate", "--config", "{}"),
        ("digest", "--week", "2025-W34", "--send", "--dry-run", "--to-file", "{}"),
    ],
)
def test_a_device_or_pipe_given_as_a_file_is_refused(
    blog: Path, args: tuple[str, ...], special: str
):
    if special == "fifo":
        os.mkfifo(blog / "fifo")  # nothing ever writes to it: reading it would wait forever
    command = [arg.format(special) for arg in args]
    returncode, message = bounded(blog, *command, timeout=10)
    assert returncode == 2 and "internal error" not in message, message
    assert f"{special}: " in message and "not a regular file" in message, message


WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)),
}
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_tags_that_differ_only_in_case_share_a_hashed_folder(blog: Path, run):
    write_post(
        blog / "posts", "upper.md", "---\ntitle: a\ndate: 2025-01-01\ntags: [C#]\n---\n\nbody\n"
    )
    write_post(
        blog / "posts", "lower.md", "---\ntitle: b\ndate: 2025-01-02\ntags: [c#]\n---\n\nbody\n"
    )
    assert run("build").exit_code == 0
    feeds = [
        feedparser.parse(p.read_bytes()) for p in (blog / "public" / "tags").glob("*/atom.xml")
    ]
    sharp = [feed for feed in feeds if feed.feed.title.lower().endswith("c#")]
    assert len(sharp) == 1 and {entry.title for entry in sharp[0].entries} == {"a", "b"}


@pytest.mark.parametrize(
    "tag", ["con", "NUL", "Aux", "com1", "LPT9", "con.txt", "a\u202eb", "\u2067x\u2069"]
)
def test_no_tag_folder_is_a_windows_device_name_or_holds_bidi_controls(blog: Path, run, tag: str):
    write_post(
        blog / "posts", "t.md", f'---\ntitle: a\ndate: 2025-01-01\ntags: ["{tag}"]\n---\n\nbody\n'
    )
    assert run("build").exit_code == 0
    titles = {}
    for path in (blog / "public" / "tags").glob("*/atom.xml"):
        titles[feedparser.parse(path.read_bytes()).feed.title] = folder = path.parent.name
        assert folder.split(".")[0].lower() not in WINDOWS_RESERVED and not BIDI & set(folder), (
            folder
        )
    assert f"pan 的博客 · 标签：{tag}" in titles


def test_a_tag_feeds_rss_description_is_escaped_as_html(blog: Path, run):
    tag = "<script>alert(1)</script>&amp;"
    write_post(
        blog / "posts", "x.md", f"---\ntitle: a\ndate: 2025-01-01\ntags: ['{tag}']\n---\n\nbody\n"
    )
    assert run("build").exit_code == 0
    descriptions = [
        etree.parse(str(path)).findtext("channel/description")
        for path in (blog / "public" / "tags").glob("*/rss.xml")
    ]
    text = next(d for d in descriptions if "alert" in d)
    shown = lxml_html.fragment_fromstring(
        text, create_parent="div"
    )  # as a reader that renders HTML does
    assert not [e for e in shown.iter() if e.tag == "script"] and "<script" not in text
    assert tag in shown.text_content()  # the reader shows the tag as written


class CountingSet(set):
    """A set that counts how often it is asked whether it holds a name."""

    probes = 0

    def __contains__(self, item: object) -> bool:
        CountingSet.probes += 1
        return super().__contains__(item)


def _names_as_before(bases: list[str], taken: set[str]) -> list[str]:
    """The names import always gave: each base, else base-2, base-3... the first one free."""
    used, names = set(taken), []
    for base in bases:
        slug, number = base, 1
        while slug.lower() in used:
            number += 1
            slug = f"{base}-{number}"
        used.add(slug.lower())
        names.append(f"{slug}.md")
    return names


def test_import_finds_free_names_in_linear_probes(tmp_path: Path, monkeypatch):
    from feedtool import importer

    count = 2000
    links = ["https://e.example/posts/same/"] * count
    links[5] = links[900] = (
        "https://e.example/posts/same-7/"  # a base that is another's numbered name
    )
    links[10] = "https://e.example/posts/Same/"
    entries = tuple(
        importer.Entry(n + 1, f"t{n}", "2025-08-24", link=link, id=f"id{n}")
        for n, link in enumerate(links)
    )
    taken = {"same-3", "same-4", "same-1000"}  # posts already in the folder
    monkeypatch.setattr(importer, "_existing_names", lambda into: CountingSet(taken))
    CountingSet.probes = 0
    report = importer.plan(importer.Source("rss", entries), tmp_path)
    bases = [importer.slug_for(entry) for entry in entries]
    assert [post.name for post in report.posts] == _names_as_before(bases, taken)
    assert CountingSet.probes <= 3 * count  # each name tried once, not every name before it again


@pytest.mark.parametrize(
    "first, second", [("Hello", "hello"), ("caf\u00e9", "cafe\u0301"), ("STRASSE", "strasse")]
)
def test_permalinks_that_one_disk_would_take_for_one_are_duplicates(
    blog: Path, run, first: str, second: str
):
    for number, slug in enumerate((first, second)):
        text = f"---\ntitle: t\ndate: 2025-01-01\nslug: {slug}\n---\nbody\n"
        write_post(blog / "posts", f"p{number}.md", text)
    for command in COMMANDS:
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        assert result.output.count("error FT208 permalink") == 2, (command, result.output)
        assert "is also used by" in result.output, (command, result.output)


def test_a_hugo_title_that_is_not_text_is_named_not_missing(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://e.example/"\ntitle = ["a"]\n', encoding="utf-8"
    )
    write_post(
        tmp_path / "content" / "posts", "a.md", "+++\ntitle = 'a'\ndate = 2025-08-24\n+++\nbody\n"
    )
    result = run("validate")
    assert result.exit_code == 2 and "missing" not in result.output, result.output
    assert "hugo.toml:2: title must be a string, got a list" in result.stderr


def test_a_feed_declaring_entities_is_refused_for_that_reason(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY x "hello">\n]>\n'
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>A &x;</title><link>https://e.example/a</link>"
        "<pubDate>Sun, 24 Aug 2025 10:00:00 +0800</pubDate></item></channel></rss>\n",
        encoding="utf-8",
    )
    result = run("import", "feed.xml", "--into", "posts")
    assert result.exit_code == 2 and "HTML page" not in result.output, result.output
    assert "feed.xml: the file declares XML entities in its DOCTYPE" in result.stderr
    assert not (tmp_path / "posts").exists()


def test_a_pipe_in_place_of_an_output_or_the_ledger_does_not_hang(blog: Path, run):
    assert run("build").exit_code == 0
    (blog / "public" / "atom.xml").unlink()
    os.mkfifo(
        blog / "public" / "atom.xml"
    )  # nothing ever writes to it: reading it would wait forever
    returncode, err = bounded(blog, "build")
    assert returncode == 0, err
    assert feedparser.parse(
        (blog / "public" / "atom.xml").read_bytes()
    ).entries  # replaced by the feed

    (blog / ".feedtool").mkdir(exist_ok=True)
    ledger = blog / ".feedtool" / "sent.jsonl"
    os.mkfifo(ledger)
    recipients = blog / "to.txt"
    recipients.write_text("a@example.com\n", encoding="utf-8")
    returncode, err = bounded(
        blog, "digest", "--week", "2025-W34", "--send", "--dry-run", "--to-file", "to.txt"
    )
    assert returncode in (0, 1, 2) and "internal error" not in err, err


def test_pipes_and_links_planted_in_the_cache_neither_hang_nor_redirect(
    blog: Path, run, tmp_path: Path
):
    """A .feedtool-cache/ that came with the blog holds a pipe for each file, a link to /dev/zero
    and a lock linked to a file elsewhere: builds finish, as without a cache, and touch nothing."""
    assert run("build").exit_code == 0
    cache = blog / ".feedtool-cache"
    names = [p.name for p in cache.iterdir() if p.is_file()]
    for name in names:
        (cache / name).unlink()
        if name == "journal.pickle":
            (cache / name).symlink_to("/dev/zero")
        else:
            os.mkfifo(cache / name)
    elsewhere = tmp_path / "elsewhere"
    (cache / "digest-archive.lock").symlink_to(elsewhere)
    for command in (["build"], ["validate"], ["digest", "--week", "2025-W34"]):
        returncode, err = bounded(blog, *command, timeout=30)
        assert "internal error" not in err, err
        assert returncode in (0, 2), (command, err)  # a refused lock is exit 2, said
    assert not elsewhere.exists()
    assert feedparser.parse((blog / "public" / "atom.xml").read_bytes()).entries
