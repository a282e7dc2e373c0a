"""feedtool.toml: defaults, and a clear error (exit 2) for every missing or wrong key."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from feedtool import config
from feedtool.errors import ConfigError

MINIMAL = 'title = "博客"\nbase_url = "https://example.com/"\n'


def test_defaults_and_normalization():
    site = config.loads(MINIMAL)
    assert site.base_url == "https://example.com"  # trailing slash dropped
    assert (site.language, site.timezone, site.feed_limit) == ("zh-CN", "Asia/Shanghai", 20)
    assert site.permalink_for("glm-vl", None) == "https://example.com/posts/glm-vl/"


def test_sample_config_loads():
    site = config.load(Path(__file__).resolve().parents[1] / "feedtool.toml")
    assert site.title == "pan 的博客" and site.author == "pan" and site.language == "zh-CN"
    assert site.posts.name == "posts" and site.posts.is_absolute()


@pytest.mark.parametrize(
    "text, message",
    [
        ('base_url = "https://example.com"\n', "missing required key 'title'"),
        ('title = "t"\n', "missing required key 'base_url'"),
        (MINIMAL + 'titel = "x"\n', "feedtool.toml:3: unknown key 'titel' (did you mean 'title'?)"),
        (
            MINIMAL + 'language = "zh_CN"\n',
            "feedtool.toml:3: language: expected a BCP 47 language tag such as zh-CN, got 'zh_CN' "
            "(did you mean 'zh-CN'?)",
        ),
        (MINIMAL + 'timezone = "Asia/Beijing"\n', "unknown IANA time zone 'Asia/Beijing'"),
        (MINIMAL + "feed_limit = 0\n", "feed_limit: expected a whole number of at least 1, got 0"),
        (MINIMAL + 'feed_limit = "20"\n', "feed_limit: expected a whole number"),
        (MINIMAL + "summary_length = true\n", "summary_length: expected a whole number"),
        ('title = "t"\nbase_url = "example.com"\n', "expected an absolute http(s) URL"),
        ('title = ""\nbase_url = "https://e.com"\n', "title: must not be empty"),
        (MINIMAL + 'permalink = "{base_url}/p/{name}/"\n', "permalink: bad pattern"),
        (
            MINIMAL + 'permalink = "{base_url}/{categories[0]}/{slug}/"\n',
            "(unknown field {categories[0]}); use {base_url}",
        ),
        (MINIMAL + 'permalink = "{base_url}/{slug.upper}/"\n', "unknown field {slug.upper}"),
        (MINIMAL + 'permalink = "{base_url}/{title.x}/{slug}/"\n', "unknown field {title.x}"),
        (MINIMAL + 'permalink = "{base_url}/{slug[a]}/"\n', "unknown field {slug[a]}"),
        (
            MINIMAL + 'permalink = "{base_url}/{slug}/{title:{slug}<3}"\n',
            "unknown field {title:{slug}<3}",
        ),
        (MINIMAL + 'permalink = "{base_url}/{{slug}}/"\n', "pattern must contain {slug}"),
        (MINIMAL + 'permalink = "{base_url}/{slug/"\n', "permalink: bad pattern"),
        (MINIMAL + 'permalink = "{base_url}/p/"\n', "pattern must contain {slug}"),
        (MINIMAL + '[digest]\nsubject = "{title} 第{week:02d}周"\n', "unknown field {week:02d}"),
        (MINIMAL + '[digest]\nsubject = "{title!r}"\n', "unknown field {title!r}"),
        ('title = "t"\nbase_url = \n', "invalid TOML"),
        ('title = "t"\nbase_url = "https://ex.com/?q=1"\n', "no ?query or #fragment"),
        ('title = "t"\nbase_url = "https://ex.com/#top"\n', "no ?query or #fragment"),
        ('title = "t"\nbase_url = "https://user:pw@ex.com/"\n', "no user@"),
        (
            MINIMAL + 'hub = "https://u:p@hub.example/"\n',
            "hub: expected an absolute http(s) URL such as https://example.com, got "
            "'https://u:p@hub.example/': no user@",
        ),
        ('title = "t"\nbase_url = "https://ex.com:0/"\n', "its port is not a number"),
        ('title = "t"\nbase_url = "https://ex.com:abc/"\n', "its port is not a number"),
        ('title = "t"\nbase_url = "https://ex.com:99999/"\n', "its port is not a number"),
        ('title = "t"\nbase_url = "https://ex .com/"\n', "expected an absolute http(s) URL"),
        (MINIMAL + 'hub = "https://hub .example/"\n', "hub: expected an absolute http(s) URL"),
        (MINIMAL + "[smtp]\nport = 70000\n", "smtp.port: expected a port from 1 to 65535"),
        (
            MINIMAL + "[smtp]\nrun_timeout = 0\n",
            "smtp.run_timeout: expected a number of seconds above 0 and at most 604,800, got 0",
        ),
        (
            MINIMAL + '[smtp]\ndata_timeout = "10m"\n',
            "smtp.data_timeout: expected a number of seconds above 0",
        ),
        (
            MINIMAL + "[smtp]\ndata_timeout = 1e10\n",
            "smtp.data_timeout: expected a number of seconds above 0 and at most 604,800, got "
            "10000000000.0",
        ),
        (MINIMAL + 'cache = ""\n', "feedtool.toml:3: cache: must not be empty"),
        (MINIMAL + 'posts = " "\n', "feedtool.toml:3: posts: must not be empty"),
    ],
)
def test_wrong_config_is_a_clear_error(text: str, message: str):
    with pytest.raises(ConfigError) as caught:
        config.loads(text)
    assert message in str(caught.value)


def test_permalink_pattern_uses_the_site_zone():
    from datetime import datetime

    site = config.loads(MINIMAL + 'permalink = "{base_url}/{year}/{month}/{day}/{slug}/"\n')
    # 2025-08-23 16:30 UTC is already the 24th in Shanghai.
    when = datetime(2025, 8, 23, 16, 30, tzinfo=UTC)
    assert site.permalink_for("a", when) == "https://example.com/2025/08/24/a/"


def test_cli_reports_config_errors_with_exit_2(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 2
    assert "no feedtool.toml" in result.stderr and "Traceback" not in result.output
    (tmp_path / "bad.toml").write_text(MINIMAL + "feed_limit = -3\n", encoding="utf-8")
    result = run("build", "--config", "bad.toml")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: bad.toml:3: feed_limit: expected a whole number of at least 1, got -3"
    )
    result = run("build", "--config", "missing.toml")
    assert result.exit_code == 2 and "config file not found" in result.stderr


@pytest.mark.parametrize(
    "line", ['[digest]\nledger = "public/sent.jsonl"\n', 'cache = "public/.cache"\n']
)
def test_private_files_may_not_be_published(tmp_path: Path, line: str):
    (tmp_path / "feedtool.toml").write_text(MINIMAL + line, encoding="utf-8")
    with pytest.raises(ConfigError, match="inside the output folder"):
        config.load(tmp_path / "feedtool.toml")


@pytest.mark.parametrize(
    "line",
    ['out = "posts"\n', 'out = "posts/"\n', 'posts = "public"\n', 'out = "posts/../posts"\n'],
)
def test_the_feeds_are_not_written_among_the_posts(tmp_path: Path, line: str):
    (tmp_path / "feedtool.toml").write_text(MINIMAL + line, encoding="utf-8")
    with pytest.raises(ConfigError, match="out and posts are the same folder"):
        config.load(tmp_path / "feedtool.toml")
    (tmp_path / "feedtool.toml").write_text(
        MINIMAL + 'posts = "."\n', encoding="utf-8"
    )  # public/ inside it: fine
    assert config.load(tmp_path / "feedtool.toml").posts == tmp_path


def test_a_config_saved_with_a_bom_reads(tmp_path: Path):
    (tmp_path / "feedtool.toml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert config.load(tmp_path / "feedtool.toml").base_url == "https://example.com"


def test_config_text_may_not_break_headers():
    with pytest.raises(ConfigError, match="one line"):
        config.loads('title = "Tech\\nBlog"\nbase_url = "https://e.com"\n')
    with pytest.raises(ConfigError, match="one line"):
        config.loads(MINIMAL + '[digest]\nsubject = "x\\r\\nBcc: a@b.c"\n')
