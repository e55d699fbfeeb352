"""Sorting more rows than memory should hold: sorted runs spilled to temporary files.

`sorted_stream` keeps at most `chunk_rows` rows in memory: each full chunk is sorted
and pickled to an anonymous temporary file in batches, then the runs are merged
(`heapq.merge`), reading one batch per run at a time. A stream that fits in one chunk
never touches the disk. Memory is O(chunk_rows + runs * batch), whatever the input.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

__all__ = ["sorted_stream"]

T = TypeVar("T")
_BATCH = 2_000


def _spill(rows: list[Any]) -> IO[bytes]:
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (closed by _replay or the caller)
    for start in range(0, len(rows), _BATCH):
        pickle.dump(rows[start : start + _BATCH], handle, protocol=pickle.HIGHEST_PROTOCOL)
    handle.seek(0)
    return handle


def _replay(handle: IO[bytes]) -> Iterator[Any]:
    try:
        while True:
            try:
                batch = pickle.load(handle)  # our own file, written just above
            except EOFError:
                return
            yield from batch
    finally:
        handle.close()


def sorted_stream(
    rows: Iterable[T], key: Callable[[T], Any], *, chunk_rows: int = 50_000
) -> Iterator[T]:
    """The rows in `key` order (stable), holding at most `chunk_rows` at once."""
    if chunk_rows < 1:
        raise ValueError(f"expected chunk_rows >= 1, got {chunk_rows}")
    runs: list[IO[bytes]] = []
    chunk: list[T] = []
    try:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                chunk.sort(key=key)
                runs.append(_spill(chunk))
                chunk = []
        chunk.sort(key=key)
        if not runs:
            yield from chunk
            return
        runs.append(_spill(chunk))
        del chunk
        yield from heapq.merge(*(_replay(run) for run in runs), key=key)
    finally:
        for run in runs:
            run.close()
