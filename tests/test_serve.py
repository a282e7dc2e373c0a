"""`feedtool serve`: sign-up, double opt-in and unsubscribe, in-process (Starlette's TestClient)
and end to end (the real server on 127.0.0.1, a real SMTP server receiving the mail)."""

from __future__ import annotations

import contextlib
import email
import os
import re
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from email import policy
from pathlib import Path

import httpx
import lxml.html
import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2, which is not packaged yet; httpx works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from conftest import (
    SmtpRecorder,
    body_of,
    free_port,
    running_smtp_server,
    spawn_feedtool,
    subscriber_of,
)

from feedtool import config, serve, tokens
from feedtool.subscribers import Store

SECRET = "s" * 40
KEY = "k" * 40


def configure(blog: Path, smtp_port: int, url: str) -> None:
    """Point the sample blog's [smtp] at 127.0.0.1:`smtp_port` and its service at `url`."""
    path = blog / "feedtool.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'host = "localhost"\nport = 587\nsecurity = "starttls"',
        f'host = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"',
    )
    text += f'\n[subscribe]\nurl = "{url}"\nper_client = 5\nper_address = 2\n'
    path.write_text(text, encoding="utf-8")


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def matched(pattern: str, text: str, *, whole: bool = False) -> re.Match[str]:
    """The match of `pattern` in `text` (all of it if `whole`); the test fails without one."""
    match = (re.fullmatch if whole else re.search)(pattern, text)
    assert match is not None, f"{pattern!r} not in {text!r}"
    return match


def link_in(raw: bytes, path: str) -> str:
    body = body_of(parse(raw), "plain")
    return matched(rf"https?://\S+/{path}/\S+", body).group(0)


class App:
    """The app over a store in tmp_path, with the mails it sends kept in `sent`."""

    def __init__(self, root: Path, clock=time.monotonic):
        self.site = config.loads(
            'title = "pan 的博客"\nbase_url = "https://pan.example.com"\n[subscribe]\n'
            'url = "https://news.example.com"\nper_client = 5\nper_address = 2\n'
        )
        self.store = Store(root / "subscribers.db")
        self.sent: list[email.message.EmailMessage] = []
        app = serve.create_app(
            self.site, self.store, KEY, lambda m: self.sent.append(m), clock=clock
        )
        self.client = TestClient(app, client=("203.0.113.7", 5000))

    def token(self, address: str, purpose: str) -> str:
        return tokens.make(KEY, purpose, subscriber_of(self.store, address).ref)

    def status(self, address: str) -> str | None:
        found = self.store.get(address)
        return found.status if found else None


@pytest.fixture
def app(tmp_path: Path) -> App:
    return App(tmp_path)


def test_the_form_is_chinese_phone_and_dark_ready(app: App):
    page = app.client.get("/subscribe")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text and "订阅pan 的博客" in page.text
    assert 'name="viewport"' in page.text and "prefers-color-scheme: dark" in page.text
    assert 'name="website"' in page.text  # the honeypot
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_same_answer_for_new_pending_confirmed_and_unsubscribed(app: App):
    app.store.add("confirmed@example.com", "confirmed", "test", "test")
    app.store.add("gone@example.com", "complained", "test", "test")
    answers = {
        address: app.client.post("/subscribe", data={"email": address})
        for address in ("new@example.com", "confirmed@example.com", "gone@example.com")
    }
    answers["again"] = app.client.post(
        "/subscribe", data={"email": "new@example.com"}
    )  # now pending
    assert {(r.status_code, r.text) for r in answers.values()} == {(200, answers["again"].text)}
    assert "请查收邮件" in answers["again"].text
    assert [m["To"] for m in app.sent] == ["new@example.com", "new@example.com"]
    assert app.status("confirmed@example.com") == "confirmed"
    assert app.status("gone@example.com") == "complained"
    as_json = app.client.post("/subscribe", json={"email": "confirmed@example.com"})
    assert as_json.json() == {"status": "check-inbox"}


def test_bad_addresses_and_the_honeypot_subscribe_no_one(app: App):
    bad = app.client.post("/subscribe", data={"email": "not an address"})
    assert (
        bad.status_code == 400 and "不是有效的邮箱地址" in bad.text and "not an address" in bad.text
    )
    assert app.client.post("/subscribe", json={"email": "a@localhost"}).status_code == 400
    bot = app.client.post(
        "/subscribe", data={"email": "victim@example.com", "website": "http://spam"}
    )
    assert bot.status_code == 200 and "请查收邮件" in bot.text
    huge = app.client.post(
        "/subscribe",
        content=b"email=" + b"a" * 10_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    assert app.status("victim@example.com") is None and app.sent == []


def test_rate_limits_per_client_and_per_address(app: App):
    answers = [
        app.client.post("/subscribe", data={"email": "t@example.com"}).status_code for _ in range(6)
    ]
    assert answers == [200] * 5 + [429]
    assert len(app.sent) == 2  # per_address = 2: the rest got the same answer, and no mail
    other = TestClient(app.client.app, client=("198.51.100.9", 5000))
    assert other.post("/subscribe", data={"email": "x@example.com"}).status_code == 200


def test_a_rate_limit_window_slides(tmp_path: Path):
    now = [1000.0]
    app = App(tmp_path, clock=lambda: now[0])
    for _ in range(5):
        app.client.post("/subscribe", data={"email": "a@example.com"})
    assert app.client.post("/subscribe", data={"email": "a@example.com"}).status_code == 429
    now[0] += 3601
    assert app.client.post("/subscribe", data={"email": "a@example.com"}).status_code == 200


def test_confirm_link_confirms_once_and_idempotently(app: App):
    app.client.post("/subscribe", data={"email": "Reader@Example.com"})
    link = link_in(app.sent[0].as_bytes(), "confirm")
    assert link.startswith("https://news.example.com/confirm/")
    assert "reader" not in link.lower()  # the token carries no readable address
    path = link.removeprefix("https://news.example.com")
    for _ in range(2):
        page = app.client.get(path)
        assert page.status_code == 200 and "订阅成功" in page.text
    assert app.status("reader@example.com") == "confirmed"
    assert subscriber_of(app.store, "reader@example.com").changed_by == "confirmed by link"


def test_bad_tokens_change_nothing(app: App, monkeypatch: pytest.MonkeyPatch):
    app.client.post("/subscribe", data={"email": "p@example.com"})
    app.store.add("c@example.com", "confirmed", "test", "test")
    confirm, unsubscribe = (
        app.token("p@example.com", "confirm"),
        app.token("c@example.com", "unsubscribe"),
    )
    tampered = confirm[:-2] + ("AA" if confirm[-2:] != "AA" else "BB")
    forged = tokens.make(
        "another secret of forty characters......",
        "unsubscribe",
        subscriber_of(app.store, "c@example.com").ref,
    )
    cases = [
        ("get", f"/confirm/{tampered}", 400),
        ("get", f"/confirm/{unsubscribe}", 400),
        ("post", f"/unsubscribe/{confirm}", 400),
        ("post", f"/unsubscribe/{forged}", 400),
        ("post", "/unsubscribe/garbage", 400),
        ("get", f"/unsubscribe/{unsubscribe}", 200),
        ("post", f"/unsubscribe/{tokens.make(KEY, 'unsubscribe', 'no-such-ref')}", 404),
    ]
    for method, path, status in cases:
        assert getattr(app.client, method)(path).status_code == status, path
    # Expired: a week and a day later the confirm token is refused.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 8 * 86400)
    expired = app.client.get(f"/confirm/{confirm}")
    assert expired.status_code == 400 and "过期" in expired.text
    monkeypatch.setattr(time, "time", real)
    assert (app.status("p@example.com"), app.status("c@example.com")) == ("pending", "confirmed")


def test_get_shows_a_button_and_post_unsubscribes_one_click(app: App):
    app.store.add("c@example.com", "confirmed", "test", "test")
    path = f"/unsubscribe/{app.token('c@example.com', 'unsubscribe')}"
    page = app.client.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text and "退订" in page.text
    assert app.status("c@example.com") == "confirmed"  # a GET (a mail scanner) changes nothing
    done = app.client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "已退订" in done.text
    assert app.status("c@example.com") == "unsubscribed"
    assert subscriber_of(app.store, "c@example.com").changed_by == "one-click"
    assert app.client.post(path).status_code == 200  # again: still unsubscribed
    confirm = app.client.get(
        f"/confirm/{tokens.make(KEY, 'confirm', subscriber_of(app.store, 'c@example.com').ref)}"
    )
    assert confirm.status_code == 400 and app.status("c@example.com") == "unsubscribed"


def test_serve_refuses_without_a_secret_or_with_a_readable_key_file(
    blog: Path, run, monkeypatch: pytest.MonkeyPatch
):
    configure(blog, 2525, "http://127.0.0.1:8080")
    monkeypatch.delenv("FEEDTOOL_SECRET", raising=False)
    result = run("serve")
    assert result.exit_code == 2 and "no signing secret: set FEEDTOOL_SECRET" in result.output
    key = blog / ".feedtool" / "secret.key"
    key.parent.mkdir()
    key.write_text(SECRET + "\n")
    key.chmod(0o644)
    result = run("serve")
    assert (
        result.exit_code == 2 and "others can read the signing secret (mode 644)" in result.output
    )
    assert SECRET not in result.output
    monkeypatch.setenv("FEEDTOOL_SECRET", "short")
    assert "shorter than 32 characters" in run("serve").output


def test_the_service_url_is_https_or_loopback():
    with pytest.raises(config.ConfigError, match="expected an https URL"):
        config.loads(
            'title = "t"\nbase_url = "https://x.example"\n'
            '[subscribe]\nurl = "http://news.example.com"\n'
        )


def test_snippet_posts_to_the_service(blog: Path, run):
    assert "[subscribe] url is not set" in run("snippet").output
    configure(blog, 2525, "https://news.example.com/")
    html = run("snippet").output
    assert '<form method="post" action="https://news.example.com/subscribe"' in html
    assert 'name="email"' in html and 'name="website"' in html


@pytest.fixture
def served(blog: Path) -> Iterator[tuple[SmtpRecorder, str]]:
    """`feedtool serve` with its SMTP server: (recorder, url)."""
    with serving(blog) as pair:
        yield pair


@contextlib.contextmanager
def serving(blog: Path) -> Iterator[tuple[SmtpRecorder, str]]:
    """`feedtool serve` in a child process on a free port, its mail going to aiosmtpd."""
    recorder = SmtpRecorder()
    with running_smtp_server(recorder) as smtp_port:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        configure(blog, smtp_port, url)
        child = start_service(blog, port)
        try:
            yield recorder, url
        finally:
            stop_service(child)


def start_service(blog: Path, port: int) -> subprocess.Popen:
    """`feedtool serve --port PORT` in `blog`, with the secret in its environment, once it
    listens."""
    os.environ["FEEDTOOL_SECRET"] = SECRET
    try:
        child = spawn_feedtool(blog, "serve", "--port", str(port), stderr=subprocess.PIPE)
    finally:
        del os.environ["FEEDTOOL_SECRET"]
    try:
        wait_for_port(port, child)
    except BaseException:
        stop_service(child)
        raise
    return child


def stop_service(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
    child.wait(timeout=30)
    assert child.stderr is not None  # started with stderr=PIPE
    child.stderr.close()


def wait_for_port(port: int, child: subprocess.Popen) -> None:
    """Until the child accepts connections on `port` (or has died: then its stderr is the
    failure)."""
    assert child.stderr is not None  # started with stderr=PIPE
    for _ in range(600):  # a guard against a hang, not a measure: it starts in well under a second
        assert child.poll() is None, child.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"feedtool serve never listened on {port}")


def wait_for_mail(recorder: SmtpRecorder, count: int) -> None:
    """Until the service's background task has handed `count` messages to the SMTP server."""
    for _ in range(1500):  # a guard against a hang, not a measure
        if len(recorder.messages) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{len(recorder.messages)} of {count} messages arrived")


def test_sign_up_over_http_confirm_by_mail_and_unsubscribe(served, blog: Path):
    recorder, url = served
    answer = httpx.post(f"{url}/subscribe", data={"email": "reader@example.com"})
    assert answer.status_code == 200 and "请查收邮件" in answer.text
    wait_for_mail(recorder, 1)
    _, rcpts, raw = recorder.messages[0]
    assert rcpts == ["reader@example.com"]
    mail = parse(raw)
    assert (
        mail["Subject"] == "请确认订阅pan 的博客"
        and mail["From"] == "pan 的博客 <newsletter@pan.example.com>"
    )
    link = link_in(raw, "confirm")
    assert link.startswith(f"{url}/confirm/")
    assert (
        subscriber_of(Store(blog / ".feedtool" / "subscribers.db"), "reader@example.com").status
        == "pending"
    )
    assert "订阅成功" in httpx.get(link).text
    store = Store(blog / ".feedtool" / "subscribers.db")
    assert subscriber_of(store, "reader@example.com").status == "confirmed"
    ref = subscriber_of(store, "reader@example.com").ref
    unsubscribe = f"{url}/unsubscribe/{tokens.make(SECRET, 'unsubscribe', ref)}"
    assert httpx.get(unsubscribe).status_code == 200
    assert subscriber_of(store, "reader@example.com").status == "confirmed"
    assert httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert subscriber_of(store, "reader@example.com").status == "unsubscribed"


def digest_send(run, smtp_port: int, week: str, *extra: str):
    return run(
        "digest",
        "--week",
        week,
        "--send",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
        "--smtp-security",
        "none",
        *extra,
    )


def test_a_subscriber_gets_the_digest_until_one_click_unsubscribes(
    served, blog: Path, run, monkeypatch: pytest.MonkeyPatch
):
    recorder, url = served
    monkeypatch.setenv("FEEDTOOL_SECRET", SECRET)
    smtp_port = int(matched(r"port = (\d+)", (blog / "feedtool.toml").read_text()).group(1))
    httpx.post(f"{url}/subscribe", data={"email": "reader@example.com"})
    wait_for_mail(recorder, 1)
    assert httpx.get(link_in(recorder.messages[0][2], "confirm")).status_code == 200
    assert run("subscribers", "add", "vouched@example.com").exit_code == 0

    result = digest_send(run, smtp_port, "2025-W34")
    assert result.exit_code == 0, result.output
    digests = {rcpts[0]: parse(raw) for _, rcpts, raw in recorder.messages[1:]}
    assert sorted(digests) == ["reader@example.com", "vouched@example.com"]
    mail = digests["reader@example.com"]
    link = matched(r"<([^>]+)>, <mailto:[^>]+>", mail["List-Unsubscribe"], whole=True).group(1)
    assert link.startswith(f"{url}/unsubscribe/") and "reader" not in link
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page = lxml.html.fromstring(body_of(mail, "html"))
    assert [a.get("href") for a in page.iter("a") if a.text_content() == "退订"] == [link]
    assert f"退订：{link}" in body_of(mail, "plain")
    other = matched(r"<([^>]+)>", digests["vouched@example.com"]["List-Unsubscribe"]).group(1)
    assert other != link

    # As Gmail does it: a POST with the RFC 8058 body, no cookie.
    one_click = httpx.post(
        link,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    recorder.messages.clear()
    result = digest_send(run, smtp_port, "2025-W25")
    assert result.exit_code == 0, result.output
    assert recorder.recipients() == ["vouched@example.com"]
    # Whatever list is given, an unsubscribed address gets nothing.
    result = digest_send(
        run, smtp_port, "2025-W23", "--to", "Reader@example.com", "--to", "new@example.com"
    )
    assert "not sent (unsubscribed, bounced or complained)\tReader@example.com" in result.output
    assert recorder.recipients() == ["vouched@example.com", "new@example.com"]
    listed = run("subscribers", "list", "--format", "json").output
    assert '"unsubscribed": 1' in listed and '"changed_by": "one-click"' in listed


def test_a_test_send_is_marked_and_leaves_ledger_and_store_alone(
    blog: Path, run, smtp_server, monkeypatch: pytest.MonkeyPatch
):
    recorder, port = smtp_server
    configure(blog, port, "https://news.example.com")
    monkeypatch.setenv("FEEDTOOL_SECRET", SECRET)
    run("subscribers", "remove", "me@example.com")
    result = run("digest", "--week", "2025-W34", "--test", "me@example.com")
    assert result.exit_code == 0, result.output
    assert "Sent a test copy of 2025-W34 to me@example.com (not in the ledger)." in result.output
    ((_, rcpts, raw),) = recorder.messages
    mail = parse(raw)
    assert (
        rcpts == ["me@example.com"] and mail["Subject"] == "【测试】pan 的博客周报 · 2025 第 34 周"
    )
    assert (
        mail["Message-ID"]
        != parse((blog / "public/digest/2025-W34.eml").read_bytes())["Message-ID"]
    )
    assert mail["List-Unsubscribe"].startswith("<https://news.example.com/unsubscribe/")
    assert not (blog / ".feedtool" / "sent.jsonl").exists()
    counts = run("subscribers", "list").output.splitlines()[-1]
    assert counts.startswith("0 pending, 0 confirmed, 1 unsubscribed")
    monkeypatch.delenv("FEEDTOOL_SECRET")
    bad = run("digest", "--week", "2025-W34", "--test", "not an address")
    assert bad.exit_code == 2 and "not an email address" in bad.output
