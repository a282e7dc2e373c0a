"""The command line as a user meets it: help, exit codes, `python -m feedtool`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, checkout_env, write_post

from feedtool.cli import cli


def test_every_command_has_help(run):
    result = run("--help")
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert command.help and len(command.help) > 40, name
        sub = run(name, "--help")
        assert sub.exit_code == 0 and "Usage: " in sub.output, name


def test_python_m_feedtool_runs(blog: Path):
    result = subprocess.run(
        [sys.executable, "-m", "feedtool", "build", "--out", "site"],
        capture_output=True,
        text=True,
        cwd=blog,
        env=checkout_env(),
    )
    assert result.returncode == 0, result.stderr
    assert (blog / "site" / "atom.xml").is_file()
    assert "Built 5 posts" in result.stdout


def test_the_program_exits_with_every_line_written_and_its_exit_code(blog: Path):
    """`feedtool` (cli.main) ends with os._exit: what it printed must still arrive, whole."""
    env = checkout_env()
    write_post(blog / "posts", "bad.md", '---\ntitle: 坏\ndate: "二月 30, 2025"\n---\n正文\n')
    for number in range(
        300
    ):  # more output than Python's stdout buffer holds (lost if os._exit came unflushed)
        write_post(
            blog / "posts",
            f"p{number:03d}.md",
            f"---\ntitle: 第{number}篇\ndate: 2025-07-01\ntitel: 1\n---\n正文\n",
        )
    program = [sys.executable, "-m", "feedtool"]
    result = subprocess.run(
        [*program, "validate", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=blog,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    codes = [d["code"] for d in found]
    assert codes.count("FT115") == 300 and codes.count("FT201") == 1
    assert (
        subprocess.run(
            [*program, "build", "--config", "missing.toml"], capture_output=True, cwd=blog, env=env
        ).returncode
        == 2
    )
    version = subprocess.run([*program, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("feedtool, version ")


def test_build_reports_what_it_wrote(blog: Path, run):
    result = run("build")
    assert result.exit_code == 0
    assert result.stdout.startswith("Built 5 posts into public/: atom.xml, rss.xml, feed.json")


def test_missing_posts_folder_is_exit_2(blog: Path, run):
    result = run("build", "--posts", "nowhere")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: nowhere: no such file or folder"


def test_unwritable_output_is_exit_2_without_traceback(blog: Path, run):
    (blog / "public").write_text("a file where the folder should be", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 2
    assert (
        result.stderr.startswith("error: cannot write ") and "public: File exists" in result.stderr
    )
    assert "Traceback" not in result.output


def test_out_may_not_be_the_posts_folder(blog: Path, run):
    result = run("build", "--out", "posts/../posts")
    assert result.exit_code == 2
    assert "is the posts folder" in result.stderr
    assert sorted(p.name for p in (blog / "posts").iterdir()) == sorted(
        p.name for p in (REPO / "posts").iterdir()
    )


def test_an_output_error_names_the_file_that_failed(blog: Path, run):
    assert run("build").exit_code == 0
    shutil.rmtree(blog / "public" / "tags" / "vlm")
    (blog / "public" / "tags" / "vlm").write_text(
        "a file where a tag's folder should be", encoding="utf-8"
    )
    result = run("build")
    assert result.exit_code == 2
    assert "public/tags/vlm: File exists" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args", [["build", "--limit", "0"], ["validate", "--format", "xml"], ["nope"]]
)
def test_usage_errors_are_exit_2(blog: Path, run, args):
    assert run(*args).exit_code == 2


def test_dates_command_prints_rfc3339_and_errors(run):
    result = run("dates", "八月 24, 2025", "二月 30, 2025")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "八月 24, 2025\t2025-08-24T00:00:00+08:00"
    assert lines[1].startswith("二月 30, 2025\terror: ") and "28" in lines[1]


def test_dates_command_reads_stdin_with_tz_and_now(run):
    result = run(
        "dates",
        "--tz",
        "Asia/Tokyo",
        "--now",
        "2025-08-24T12:00:00+09:00",
        input="十二月 1, 2024\n3小时前\n\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "十二月 1, 2024\t2024-12-01T00:00:00+09:00",
        "3小时前\t2025-08-24T09:00:00+09:00",
    ]


def test_dates_command_rejects_a_bad_zone(run):
    result = run("dates", "--tz", "Mars/Base", "2025-08-24")
    assert result.exit_code == 2
    assert (
        "Invalid value for --tz: unknown time zone 'Mars/Base'" in result.output
    )  # not the date it was tried on


def test_a_bug_is_reported_without_a_traceback_unless_debug(blog: Path, monkeypatch):
    from click.testing import CliRunner

    from feedtool import feeds

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(feeds, "atom", broken)
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 2
    assert "internal error: RuntimeError: something inside broke" in result.stderr
    assert "--debug" in result.stderr and "Traceback" not in result.output
    debug = CliRunner().invoke(cli, ["--debug", "build"])
    assert isinstance(debug.exception, RuntimeError)  # the traceback is there for bug reports


def test_a_post_too_slow_to_render_fails_the_build_with_exit_1(blog: Path, run, monkeypatch):
    from feedtool import render

    monkeypatch.setattr(render, "RENDER_SECONDS", 1e-6)
    result = run("build")
    assert result.exit_code == 1
    assert "posts/glm-vl.md:" in result.stderr and "FT304" in result.stderr
    assert not (blog / "public").exists()


def test_the_smtp_password_never_shows_even_in_a_bug(blog: Path, monkeypatch):
    from click.testing import CliRunner

    from feedtool import feeds

    monkeypatch.setenv("FEEDTOOL_SMTP_PASSWORD", "hunter22")

    def leaky(*args, **kwargs):
        raise RuntimeError("connection string user:hunter22@host")

    monkeypatch.setattr(feeds, "atom", leaky)
    result = CliRunner().invoke(cli, ["build"])
    assert "hunter22" not in result.output and "user:*****@host" in result.stderr


def test_init_for_a_plain_folder_and_never_over_an_existing_config(
    tmp_path: Path, run, monkeypatch
):
    from feedtool import config

    monkeypatch.chdir(tmp_path)
    result = run("init", "--title", "新博客", "--base-url", "https://new.example.com")
    assert result.exit_code == 0, result.output
    site = config.load(tmp_path / "feedtool.toml")
    assert (site.title, site.base_url, site.language, site.source) == (
        "新博客",
        "https://new.example.com",
        "zh-CN",
        "plain",
    )
    before = (tmp_path / "feedtool.toml").read_bytes()
    again = run("init")
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert (tmp_path / "feedtool.toml").read_bytes() == before


def test_init_in_a_hugo_site_reads_its_config(tmp_path: Path, run, monkeypatch):
    import shutil

    from feedtool import config

    shutil.copytree(Path(__file__).parent / "data" / "sites" / "hugo", tmp_path / "hugo")
    monkeypatch.chdir(tmp_path / "hugo")
    assert run("init").exit_code == 0
    text = (tmp_path / "hugo" / "feedtool.toml").read_text(encoding="utf-8")
    assert 'source = "hugo"' in text and '# title = "Hugo 中文博客"' in text
    site = config.load(tmp_path / "hugo" / "feedtool.toml")
    assert site.title == "Hugo 中文博客" and site.base_url == "https://hugo.example.com"
    assert run("build").exit_code == 0
