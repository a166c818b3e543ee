"""The lake's ranged file names, `{topic}+{partition}+{first:020d}+{last:020d}.parquet`, and the rule
that makes them safe to read at any moment.

The worker names each scores / conversations / labels file by the source offsets it holds; compaction merges
a day's files into one named by the whole range, then deletes the inputs. Until the inputs are gone
(seconds, or until the next run if it was interrupted) a file sits inside another file's range of
the same partition and folder: such a file is covered, and readers skip it, so a row is never
counted twice. Shared by the writer and compaction (sidecar) and the readers (feedback, dashboard).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import NamedTuple

_FILE_RE = re.compile(r"^(?P<topic>[A-Za-z0-9._-]+)\+(?P<p>-?\d+)\+(?P<first>\d+)\+(?P<last>\d+)\.parquet$")


class RangedFile(NamedTuple):
    name: str
    topic: str
    partition: int
    first: int
    last: int


def file_name(topic: str, partition: int, first: int, last: int) -> str:
    return f"{topic}+{partition}+{first:020d}+{last:020d}.parquet"


def parse_file_name(name: str) -> RangedFile | None:
    """The source partition and offset range a lake file holds, from its name (None: not a ranged file)."""
    match = _FILE_RE.match(name)
    if match is None:
        return None
    return RangedFile(name, match["topic"], int(match["p"]), int(match["first"]), int(match["last"]))


def split_covered(files: list[RangedFile]) -> tuple[list[RangedFile], list[RangedFile]]:
    """(files to read, files inside another file's range) of one partition's files in one folder.

    Sorted by first offset, widest first, a file that ends no later than the last kept one is inside it."""
    kept: list[RangedFile] = []
    covered: list[RangedFile] = []
    for f in sorted(files, key=lambda f: (f.first, -f.last)):
        if kept and f.last <= kept[-1].last:
            covered.append(f)
        else:
            kept.append(f)
    return kept, covered


def covered_paths(paths: list[str]) -> set[str]:
    """The paths (`folder/name`, any depth) of covered files, judged per folder and source partition;
    names that are not ranged files are never covered."""
    groups: dict[tuple[str, str, int], list[RangedFile]] = defaultdict(list)
    full: dict[tuple[str, str], str] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        parsed = parse_file_name(name)
        if parsed is not None:
            groups[(folder, parsed.topic, parsed.partition)].append(parsed)
            full[(folder, name)] = path
    out: set[str] = set()
    for (folder, _, _), files in groups.items():
        out.update(full[(folder, f.name)] for f in split_covered(files)[1])
    return out
