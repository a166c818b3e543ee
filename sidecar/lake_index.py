"""What this process knows of each source partition's lake files, so that a write need not list its folder.

Replays overwrite by offset range: before a file lands, the files of the same source partition whose
range overlaps it are removed. Listing the folder for that on every batch costs O(files in the folder)
per write, and a day's folder grows by one file per batch: by evening a worker spends its time listing
(on an object store, one paged LIST per 1,000 names). The index lists a (folder, partition) once and then
follows its own writes:

- A partition's writes move forward in a process (the worker commits in order and never seeks back), so
  a file that ends before the newest write begins can never overlap a later write and is forgotten: the
  index holds about one file per (folder, partition).
- A write that begins before the newest one (a replay inside one process) lists the folder again.
- Another member may have written a partition this process just received: `forget()` on every
  assignment makes the next write list again.
At most `max_folders` folders are remembered (least recently written dropped first), so memory is bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

Span = tuple[int, int]


def overlapping_names(files: dict[str, Span], span: Span) -> list[str]:
    """Names of the files whose offset range shares an offset with `span`."""
    first, last = span
    return [name for name, (a, b) in files.items() if a <= last and b >= first]


@dataclass
class _PartitionFiles:
    floor: int  # first offset of the newest write; files ending before it are dropped
    files: dict[str, Span] = field(default_factory=dict)


class SpanIndex:
    """Ranged files per (folder, topic, partition) that may still overlap a future write."""

    def __init__(self, max_folders: int = 1024) -> None:
        self.max_folders = max_folders
        self._folders: OrderedDict[tuple[str, ...], dict[tuple[str, int], _PartitionFiles]] = OrderedDict()
        self._lock = threading.Lock()
        self.listings = 0  # folder listings done because the index could not answer (tests, benchmark)

    def overlapping(self, folder: tuple[str, ...], topic: str, partition: int, span: Span) -> list[str] | None:
        """Names of known files overlapping `span`, or None when the folder must be listed first."""
        with self._lock:
            known = self._folders.get(folder, {}).get((topic, partition))
            if known is None or span[0] < known.floor:
                return None
            return overlapping_names(known.files, span)

    def load(self, folder: tuple[str, ...], topic: str, partition: int, files: dict[str, Span]) -> None:
        """The partition's files as just listed."""
        with self._lock:
            self.listings += 1
            floor = min((a for a, _ in files.values()), default=0)
            self._entry(folder)[(topic, partition)] = _PartitionFiles(floor=floor, files=dict(files))

    def written(self, folder: tuple[str, ...], topic: str, partition: int, name: str, span: Span,
                removed: list[str]) -> None:
        """Record a landed write (and the files it replaced); drop what can no longer overlap."""
        with self._lock:
            known = self._folders.get(folder, {}).get((topic, partition))
            if known is None:  # forgotten meanwhile (an assignment, or evicted): the next write lists
                return
            self._folders.move_to_end(folder)
            for gone in removed:
                known.files.pop(gone, None)
            known.files[name] = span
            known.floor = max(known.floor, span[0])
            known.files = {n: s for n, s in known.files.items() if s[1] >= known.floor}

    def forget(self) -> None:
        """After a partition assignment: files of newly owned partitions may have been written elsewhere."""
        with self._lock:
            self._folders.clear()

    def _entry(self, folder: tuple[str, ...]) -> dict[tuple[str, int], _PartitionFiles]:
        entry = self._folders.setdefault(folder, {})
        self._folders.move_to_end(folder)
        while len(self._folders) > self.max_folders:
            self._folders.popitem(last=False)
        return entry
