"""The lock files: every package pinned with hashes, inside pyproject's ranges, and installed.

Run as a script (`python tests/test_lock.py`, as `make test-latest` does), it lists the installed
packages whose versions differ from the test lock.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
RUN_LOCK = REPO / "requirements.lock"
TEST_LOCK = REPO / "requirements-test.lock"
# One requirement: "name==version [; marker]", its "--hash=sha256:..." continuation lines.
_ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\\n]+?))?\s*\\\n"
    r"(?P<hashes>(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
    re.MULTILINE,
)


def locked(path: Path) -> dict[str, tuple[str, str | None, int]]:
    """{canonical name: (version, marker or None, number of hashes)} of a lock file."""
    return {
        canonicalize_name(m["name"]): (m["version"], m["marker"], m["hashes"].count("--hash="))
        for m in _ENTRY.finditer(path.read_text(encoding="utf-8"))
    }


def differences(path: Path) -> list[str]:
    """The packages this environment needs by the lock at versions other than the locked ones."""
    found = []
    for name, (version, marker, _) in sorted(locked(path).items()):
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != version:
            found.append(f"{name} {installed} (locked: {version})")
    return found


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_requirement_is_pinned_with_hashes():
    for path in (RUN_LOCK, TEST_LOCK):
        text = path.read_text(encoding="utf-8")
        requirement_lines = [
            line for line in text.splitlines() if line and not line[0].isspace() and line[0] != "#"
        ]
        entries = locked(path)
        assert len(entries) == len(requirement_lines) > 10, path.name
        assert all(hashes >= 1 for _, _, hashes in entries.values())


def test_the_locks_agree_and_satisfy_pyproject():
    run, test = locked(RUN_LOCK), locked(TEST_LOCK)
    assert {name: entry[0] for name, entry in run.items()} == {name: test[name][0] for name in run}
    project = _pyproject()
    wanted = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["test"],
        *project["build-system"]["requires"],
    ]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        lock = test if text in project["project"]["optional-dependencies"]["test"] else run
        assert name in lock, f"{name} is not in {RUN_LOCK.name if lock is run else TEST_LOCK.name}"
        assert requirement.specifier.contains(lock[name][0], prereleases=True), (
            text,
            lock[name][0],
        )


def test_the_venv_holds_the_locked_versions():
    # Deselected by `make test-latest`, whose venv holds the newest releases on purpose.
    assert differences(TEST_LOCK) == []


if __name__ == "__main__":
    for line in differences(TEST_LOCK):
        print("not as locked:", line)
    sys.exit(0)
