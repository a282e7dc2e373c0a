"""Killed at any moment, or run twice at once, feedtool leaves old or new files, never a mix.

Each test runs the real command in a subprocess, SIGKILLs it at random moments in a loop, and
checks every output (and every post, for --fix) against the complete versions.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import spawn_feedtool

ROUNDS = int(os.environ.get("FEEDTOOL_KILL_ROUNDS", "12"))
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def make_blog(root: Path, posts: int = 400) -> Path:
    (root / "posts").mkdir(parents=True)
    (root / "feedtool.toml").write_text(
        'title = "压力测试"\nbase_url = "https://k.example.com"\nfeed_limit = 50\n',
        encoding="utf-8",
    )
    paragraph = "多模态大模型的训练需要大量数据，强化学习可以进一步提升推理能力。" * 8
    for number in range(posts):
        (root / "posts" / f"p{number:04d}.md").write_text(
            f'---\ntitle: "第 {number} 篇"\ndate: "{["一", "三", "五", "八"][number % 4]}月 '
            f'{number % 28 + 1}, {2000 + number % 25}"\ntags: [测试, t{number % 7}]\n---\n\n'
            f"{paragraph}\n\n{paragraph}\n",
            encoding="utf-8",
        )
    return root


def feedtool(root: Path, *args: str) -> subprocess.Popen:
    return spawn_feedtool(root, *args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> int:
    _, err = process.communicate(timeout=120)
    assert b"Traceback" not in err, err.decode()
    return process.returncode


def kill_at_random(process: subprocess.Popen, rng: random.Random, longest: float) -> None:
    time.sleep(rng.uniform(0, longest))
    process.send_signal(signal.SIGKILL)
    process.wait()


def outputs(folder: Path) -> dict[str, bytes]:
    """Every finished file under `folder` (temporary files left by a kill aside)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".tmp")
    }


def set_title(root: Path, title: str) -> None:
    post = root / "posts" / "p0399.md"
    text = post.read_text(encoding="utf-8")
    start = text.index('title: "') + len('title: "')
    post.write_text(text[:start] + title + text[text.index('"', start) :], encoding="utf-8")


def test_killed_builds_leave_old_or_new_feeds(tmp_path: Path):
    root = make_blog(tmp_path / "blog")
    versions = []
    for title in ("版本甲", "版本乙"):  # the two complete states the loop switches between
        set_title(root, title)
        assert finish(feedtool(root, "build", "--out", f"ref-{title}")) == 0
        versions.append(outputs(root / f"ref-{title}"))
    start = time.monotonic()
    assert finish(feedtool(root, "build")) == 0
    longest = (time.monotonic() - start) * 1.2
    rng = random.Random(7)
    for round_number in range(ROUNDS):
        set_title(root, ("版本甲", "版本乙")[round_number % 2])
        kill_at_random(feedtool(root, "build"), rng, longest)
        for name, data in outputs(root / "public").items():
            assert data in (versions[0][name], versions[1][name]), (
                f"round {round_number}: {name} is a mix"
            )
        assert not list((root / "public").rglob("*.tmp")), (
            "a temporary file where a deploy publishes it"
        )
    # Whatever was killed when, the next full run is right (the cache included).
    assert finish(feedtool(root, "build")) == 0
    assert outputs(root / "public") == versions[(ROUNDS - 1) % 2]


def test_killed_fix_leaves_each_post_old_or_fixed(tmp_path: Path):
    root = make_blog(tmp_path / "blog", posts=300)
    originals = {p.name: p.read_bytes() for p in (root / "posts").iterdir()}
    reference = tmp_path / "reference"
    shutil.copytree(root, reference)
    assert finish(feedtool(reference, "validate", "--fix")) == 0
    fixed = {p.name: p.read_bytes() for p in (reference / "posts").iterdir()}
    assert fixed != originals and b"T00:00:00+08:00" in fixed["p0000.md"]
    rng = random.Random(11)
    for _ in range(ROUNDS):
        kill_at_random(feedtool(root, "validate", "--fix"), rng, 1.5)
        for post in (root / "posts").glob("*.md"):
            assert post.read_bytes() in (originals[post.name], fixed[post.name]), post.name
    assert finish(feedtool(root, "validate", "--fix")) == 0
    assert {p.name: p.read_bytes() for p in (root / "posts").glob("*.md")} == fixed
    assert not list((root / "posts").glob("*.tmp")) and not list(
        (root / ".feedtool-cache").rglob("*.tmp")
    )


def test_killed_digests_leave_old_or_new_files(tmp_path: Path):
    root = make_blog(tmp_path / "blog")
    assert finish(feedtool(root, "digest", "--latest", "--out", "ref")) == 0
    names = [p.name for p in (root / "ref" / "digest").iterdir()]
    reference = {name: (root / "ref" / "digest" / name).read_bytes() for name in names}
    rng = random.Random(3)
    for _ in range(ROUNDS):
        kill_at_random(feedtool(root, "digest", "--latest"), rng, 1.0)
        folder = root / "public" / "digest"
        for name in names:
            if (folder / name).exists():
                assert (folder / name).read_bytes() == reference[name], name


def test_two_builds_at_once_both_finish_with_valid_feeds(tmp_path: Path):
    root = make_blog(tmp_path / "blog")
    assert finish(feedtool(root, "build", "--out", "ref")) == 0
    reference = outputs(root / "ref")
    shutil.rmtree(root / ".feedtool-cache")
    for _ in range(3):
        first, second = feedtool(root, "build"), feedtool(root, "build")
        assert (finish(first), finish(second)) == (0, 0)
        assert outputs(root / "public") == reference


def test_a_folder_another_run_makes_meanwhile_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from feedtool.output import write_files

    out = tmp_path / "public"
    (out / "tags" / "x").mkdir(parents=True)  # made by the other run after this one looked
    real = os.path.lexists
    monkeypatch.setattr(
        os.path, "lexists", lambda path: not str(path).endswith("/x") and real(path)
    )
    write_files(out, {"tags/x/atom.xml": b"<feed/>", "atom.xml": b"<feed/>"})
    assert (out / "tags" / "x" / "atom.xml").read_bytes() == b"<feed/>"


def test_a_file_that_cannot_be_flushed_to_disk_replaces_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from feedtool.errors import OutputError
    from feedtool.output import write_files

    out, staging = tmp_path / "public", tmp_path / "staging"
    names = [f"tags/t{number}/atom.xml" for number in range(20)]
    write_files(out, {name: b"old" for name in names}, staging=staging)
    real, calls = os.fsync, []

    def fails_once(fd: int) -> None:
        calls.append(fd)  # (list.append is atomic: the flushes run in threads)
        if len(calls) == 7:
            raise OSError(errno.EIO, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", fails_once)
    with pytest.raises(OutputError, match="Input/output error"):
        write_files(out, {name: b"new" for name in names}, staging=staging)
    assert len(calls) >= 7
    assert {(out / name).read_bytes() for name in names} == {b"old"}
    assert [p.name for p in staging.iterdir()] == []  # the temporary files went again
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["atom.xml"] * 20


def test_rewritten_files_keep_their_permissions(tmp_path: Path):
    from feedtool.output import write_files

    out = tmp_path / "public"
    names = [f"tags/t{number}/atom.xml" for number in range(12)]  # flushed from several threads
    write_files(out, {name: b"old" for name in names}, staging=tmp_path / "staging")
    modes = {name: (0o600, 0o640, 0o444, 0o200)[number % 4] for number, name in enumerate(names)}
    for name, mode in modes.items():
        (out / name).chmod(mode)
    write_files(out, {name: b"new" for name in names}, staging=tmp_path / "staging")
    assert {name: (out / name).stat().st_mode & 0o7777 for name in names} == modes
    for name in names:
        (out / name).chmod(0o644)  # readable again, by any user the tests run as
    assert {(out / name).read_bytes() for name in names} == {b"new"}
    new = write_files(out, {"tags/new/atom.xml": b"x"}, staging=tmp_path / "staging")
    assert [p.stat().st_mode & 0o7777 for p in new] == [0o644]
