"""The subscriber store and `feedtool subscribers`: a real SQLite file beside the config."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import stat
from pathlib import Path

from feedtool.subscribers import Store


def test_the_store_is_private_wal_versioned_and_git_ignored(blog: Path, run):
    assert run("subscribers", "add", "Reader@Example.com").exit_code == 0
    db = blog / ".feedtool" / "subscribers.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert (blog / ".feedtool" / ".gitignore").read_text() == "*\n"
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        assert raw.execute("SELECT address, status FROM subscribers").fetchall() == [
            ("Reader@Example.com", "confirmed")
        ]


def test_a_store_from_a_newer_feedtool_is_refused(blog: Path, run):
    (blog / ".feedtool").mkdir()
    with sqlite3.connect(blog / ".feedtool" / "subscribers.db") as raw:
        raw.execute("PRAGMA user_version = 99")
    result = run("subscribers", "list")
    assert result.exit_code == 2
    assert "made by a newer feedtool (schema 99)" in result.output


def test_a_database_inside_the_output_folder_is_refused(blog: Path, run):
    with open(blog / "feedtool.toml", "a", encoding="utf-8") as config:
        config.write('\n[subscribe]\ndatabase = "public/subscribers.db"\n')
    result = run("subscribers", "list")
    assert result.exit_code == 2
    assert "subscribe.database (" in result.output and "inside the output folder" in result.output


def test_import_list_counts_and_json(blog: Path, run):
    (blog / "list.txt").write_text(
        "a@example.com\n# a comment\nB@example.com\na@example.com\n", encoding="utf-8"
    )
    refused = run("subscribers", "import", "list.txt")
    assert refused.exit_code == 2 and "--confirmed" in refused.output
    result = run(
        "subscribers", "import", "list.txt", "--confirmed", "--source", "Mailchimp 2025-08"
    )
    assert result.exit_code == 0, result.output
    assert "Imported 2 new addresses as confirmed; 0 already known" in result.output
    assert run("subscribers", "remove", "b@EXAMPLE.com", "gone@example.com").exit_code == 0
    again = run("subscribers", "import", "list.txt", "--confirmed")
    assert (
        "Imported 0 new addresses as confirmed; 2 already known kept their status." in again.output
    )
    listed = json.loads(run("subscribers", "list", "--format", "json").output)
    assert listed["counts"] == dict(pending=0, confirmed=1, unsubscribed=2, bounced=0, complained=0)
    by_address = {s["address"]: s for s in listed["subscribers"]}
    assert by_address["a@example.com"]["source"] == "Mailchimp 2025-08"
    assert by_address["a@example.com"]["changed_by"] == "imported from list.txt"
    assert by_address["B@example.com"]["status"] == "unsubscribed"
    assert by_address["gone@example.com"]["status"] == "unsubscribed"
    assert "ref" not in by_address["a@example.com"]
    text = run("subscribers", "list", "--status", "confirmed").output.splitlines()
    assert text[0].startswith("a@example.com\tconfirmed\t") and len(text) == 2
    assert text[-1] == "0 pending, 1 confirmed, 2 unsubscribed, 0 bounced, 0 complained"


def test_add_never_resubscribes_and_export_is_csv(blog: Path, run):
    run("subscribers", "remove", "x@example.com")
    result = run("subscribers", "add", "X@example.com", "y@example.com")
    assert result.output.splitlines() == [
        "kept\tX@example.com\tunsubscribed",
        "added\ty@example.com",
    ]
    rows = list(csv.DictReader(io.StringIO(run("subscribers", "export").output)))
    assert [(r["address"], r["status"]) for r in rows] == [
        ("x@example.com", "unsubscribed"),
        ("y@example.com", "confirmed"),
    ]


def test_a_bad_address_is_a_clear_error(blog: Path, run):
    (blog / "list.txt").write_text("ok@example.com\nnot an address\n", encoding="utf-8")
    result = run("subscribers", "import", "list.txt", "--confirmed")
    assert result.exit_code == 2
    assert "list.txt:2: not an email address: 'not an address'" in result.output
    assert not (blog / ".feedtool" / "subscribers.db").exists()


def test_list_without_a_store_creates_none(blog: Path, run):
    result = run("subscribers", "list")
    assert result.exit_code == 0
    assert (
        result.output.strip() == "0 pending, 0 confirmed, 0 unsubscribed, 0 bounced, 0 complained"
    )
    assert not (blog / ".feedtool" / "subscribers.db").exists()


def test_sign_up_confirm_unsubscribe_and_suppression(tmp_path: Path):
    store = Store(tmp_path / "s.db")
    pending = store.request("New@example.com", "web")
    assert pending is not None and pending.status == "pending"
    again = store.request("new@example.com", "web")  # a resend, same subscriber
    assert again is not None and again.ref == pending.ref
    assert store.change("new@example.com", "confirmed", "link", only_from=("pending",))
    assert store.request("new@example.com", "web") is None  # confirmed: no mail
    assert store.change("NEW@example.com", "unsubscribed", "one-click")
    assert store.suppressed(["new@EXAMPLE.com", "other@example.com"]) == {"new@example.com"}
    assert not store.change("new@example.com", "confirmed", "link", only_from=("pending",))
    store.add("b@example.com", "bounced", "import", "dsn")
    assert store.request("b@example.com", "web") is None  # bounced stays bounced
    anew = store.request("new@example.com", "web")  # signs up again: opt in anew
    assert anew is not None and anew.status == "pending"
