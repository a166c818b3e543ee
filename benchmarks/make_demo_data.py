"""Regenerate `sidecar/data/demo_conversations.jsonl.gz` (needs ../shared for the TruthfulQA rows).

    python benchmarks/make_demo_data.py [--n 3000] [--seed 7] [--check]

`--check` writes nothing and exits 1 if the committed file differs from a fresh build.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

from sidecar.demo_data import DATA_FILE, encode, generate, label_events

TARGET = Path(__file__).resolve().parents[1] / "sidecar" / "data" / DATA_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shared", type=Path, default=None, help="path of ../shared")
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    conversations = generate(args.n, args.seed, args.shared)
    data = encode(conversations)
    if args.check:
        same = TARGET.is_file() and TARGET.read_bytes() == data
        print("up to date" if same else f"{TARGET} differs from a fresh build")
        return 0 if same else 1
    TARGET.write_bytes(data)
    counts = collections.Counter(c["metadata"]["demo_category"] for c in conversations)
    print(
        f"wrote {TARGET} ({len(data):,} bytes gzipped, {len(conversations)} conversations, "
        f"{len(label_events(conversations))} late labels)"
    )
    for category, count in sorted(counts.items()):
        print(f"  {category:<28}{count:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
