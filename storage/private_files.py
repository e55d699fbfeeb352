"""State only its owner may read: keys, passwords, the database, Redis's files.

Secrets are created 0600 in one step (`O_CREAT | O_EXCL` with the mode), never written
first and tightened after, so there is no moment at which another user could open one.
A secret found readable or writable by group or others is refused, not used: whoever
could read it may have copied it, and only a person can decide whether to rotate it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "ExposedSecret",
    "check_private",
    "create_private",
    "load_or_create_secret",
    "make_private_dir",
    "tighten",
]

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


class ExposedSecret(PermissionError):
    """A secret file that users other than its owner can read or change."""


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700, whatever it was before."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    path.chmod(PRIVATE_DIR_MODE)
    return path


def check_private(path: Path) -> None:
    """Raise ExposedSecret if group or others have any access to `path`."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & _OTHERS:
        raise ExposedSecret(
            f"{path} is open to other users (mode {mode:04o}, expected 0600): it may have "
            f"been copied. Replace the secret if that is possible, then `chmod 600 {path}`"
        )


def create_private(path: Path, text: str) -> bool:
    """Write a new 0600 file holding `text`; False (and nothing written) if it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    return True


def load_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in `path` (stripped), created from `make()` on first use.

    Two processes starting at once both end up with the one that was written first.
    """
    if not path.exists():
        make_private_dir(path.parent)
        create_private(path, make() + "\n")
    check_private(path)
    secret = path.read_text(encoding="utf-8").strip()
    if not secret:
        raise ValueError(f"{path} is empty; delete it to have a new secret made")
    return secret


def tighten(paths: Iterable[Path]) -> None:
    """Make existing files of ours 0600 (state written by versions that left them 0644).

    Another user's file is left as it is: only its owner may change its mode.
    """
    for path in paths:
        if path.is_file() and path.stat().st_uid == os.getuid():
            path.chmod(PRIVATE_FILE_MODE)
