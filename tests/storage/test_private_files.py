"""Private state: secrets made 0600 at once, open ones refused, the SQLite file 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.engine import make_engine
from storage.private_files import (
    ExposedSecret,
    check_private,
    load_or_create_secret,
    make_private_dir,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual shell umask, under which a plain open() makes a 0644 file."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.usefixtures("permissive_umask")
def test_a_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "farechain.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted(tmp_path.glob("farechain.sqlite3*"))
        assert [f.name for f in files] == [
            "farechain.sqlite3",
            "farechain.sqlite3-shm",
            "farechain.sqlite3-wal",
        ]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()


@pytest.mark.usefixtures("permissive_umask")
def test_a_sqlite_file_left_0644_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    assert _mode(path) == 0o644
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


@pytest.mark.usefixtures("permissive_umask")
def test_a_secret_is_made_once_private_and_refused_once_exposed(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret"
    made = iter(["first", "second"])
    assert load_or_create_secret(path, lambda: next(made)) == "first"
    assert load_or_create_secret(path, lambda: next(made)) == "first"
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    path.chmod(0o644)
    with pytest.raises(ExposedSecret, match=r"secret is open to other users \(mode 0644"):
        load_or_create_secret(path, lambda: "third")
    path.write_text("\n")
    path.chmod(0o600)
    with pytest.raises(ValueError, match="is empty"):
        load_or_create_secret(path, lambda: "third")


def test_a_private_dir_is_made_0700_whatever_it_was(tmp_path: Path) -> None:
    open_dir = tmp_path / "var"
    open_dir.mkdir(mode=0o755)
    make_private_dir(open_dir)
    assert _mode(open_dir) == 0o700
    check_private(open_dir)
