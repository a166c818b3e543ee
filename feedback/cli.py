"""`sahaja export` and `sahaja review`: argument parsing and printing only; the work is in `lake`.

The entry point (sidecar's CLI) passes the lake path from its Settings and, when Kafka is
configured, a `Publisher`; these functions never build settings or clients themselves.
Both return a process exit code: 0 done, 1 a feedback error (printed to stderr), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from feedback.errors import FeedbackError
from feedback.lake import FeedbackLake
from feedback.manifest import Publisher, announcement
from feedback.messages import BATCHES_TOPIC, CANDIDATES_TOPIC, REVIEWS_TOPIC, candidate_message, review_message
from feedback.rescore import Rescorer

_RELATIVE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """An ISO date or datetime (UTC when no zone is given), or a duration ago: '30m', '24h', '7d'."""
    match = _RELATIVE.match(text.strip())
    if match:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date, datetime or duration like 7d: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def export_main(
    argv: Sequence[str] | None = None,
    *,
    lake: Path | None = None,
    publisher: Publisher | None = None,
    batches_topic: str = BATCHES_TOPIC,
) -> int:
    """`sahaja export --since 7d --out DIR [--until ...] [--split-eval 0.1 --seed 0] [--detector NAME ...]`."""
    parser = argparse.ArgumentParser(prog="sahaja export", description="Write accepted candidates as a TRL batch.")
    parser.add_argument("--out", type=Path, required=True, help="batch folder to create (must not exist or be empty)")
    parser.add_argument("--since", type=parse_when, help="decided at or after (ISO time or 24h, 7d)")
    parser.add_argument("--until", type=parse_when, help="decided before")
    parser.add_argument("--split-eval", type=float, default=None, help="fraction of conversations for eval")
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/eval split")
    parser.add_argument("--detector", action="append", default=None, help="only these detectors (repeatable)")
    parser.add_argument("--lake", type=Path, default=lake, required=lake is None, help="lake path")
    args = parser.parse_args(argv)
    try:
        manifest = FeedbackLake(args.lake).export(
            args.out, args.since, args.until, args.split_eval, args.seed, detectors=args.detector
        )
    except (FeedbackError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if publisher is not None:
        key, value = announcement(manifest, str(args.out.resolve()), datetime.now(UTC))
        publisher.send(batches_topic, key, value)
    print(json.dumps({"batch_id": manifest.batch_id, "out": str(args.out), "counts": manifest.counts}, indent=2))
    return 0


def review_main(
    argv: Sequence[str] | None = None,
    *,
    lake: Path | None = None,
    publisher: Publisher | None = None,
    reviews_topic: str = REVIEWS_TOPIC,
    candidates_topic: str = CANDIDATES_TOPIC,
    rescorer: Rescorer | None = None,
) -> int:
    """`sahaja review list|show|accept|edit|reject|sync ...`.

    `sync` builds candidates from the lake's score tables (a backfill; the worker does it live),
    re-scoring proposals with `rescorer` when the caller passes one.
    """
    args = _review_parser(lake).parse_args(argv)
    feedback = FeedbackLake(args.lake)
    try:
        if args.command == "list":
            frame = feedback.list_candidates(status=args.status, detector=args.detector)
            columns = ["candidate_id", "status", "kind", "detector", "score", "duplicate_count", "last_user"]
            with pl.Config(tbl_rows=args.limit, fmt_str_lengths=60, tbl_width_chars=160):
                print(frame.select(columns).head(args.limit))
            return 0
        if args.command == "sync":
            built = feedback.sync_from_scores(rescorer, since=args.since)
            if publisher is not None:
                for candidate in built:
                    publisher.send(candidates_topic, *candidate_message(candidate))
            pairs = sum(c.kind == "pair" for c in built)
            print(json.dumps({"candidates": len(built), "pairs": pairs, "unpaired": len(built) - pairs}))
            return 0
        if args.command == "show":
            candidate = feedback.candidates.get(args.candidate_id)
            print(candidate.model_dump_json(indent=2))
            return 0
        chosen_file: Path | None = getattr(args, "chosen_file", None)
        chosen_text = chosen_file.read_text("utf-8") if chosen_file else getattr(args, "chosen", None)
        event, state = feedback.review(
            args.candidate_id, args.command, args.reviewer, chosen=chosen_text,
            reason=args.reason,
        )  # fmt: skip
    except FeedbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if publisher is not None:
        publisher.send(reviews_topic, *review_message(event))
    print(state.model_dump_json(indent=2))
    return 0


def _review_parser(lake: Path | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sahaja review", description="List and review DPO candidates.")
    parser.add_argument("--lake", type=Path, default=lake, required=lake is None, help="lake path")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="candidates with their review state")
    listing.add_argument("--status", choices=["pending", "accepted", "rejected"])
    listing.add_argument("--detector")
    listing.add_argument("--limit", type=int, default=50)
    sub.add_parser("show", help="one candidate in full").add_argument("candidate_id")
    sync = sub.add_parser("sync", help="build candidates from the lake's flagged scores")
    sync.add_argument("--since", type=parse_when, help="scored at or after (ISO time or 24h, 7d)")
    reviewer = os.environ.get("SAHAJA_REVIEWER") or os.environ.get("USER")
    for action in ("accept", "edit", "reject"):
        p = sub.add_parser(action, help=f"{action} a candidate")
        p.add_argument("candidate_id")
        p.add_argument("--reviewer", default=reviewer, required=reviewer is None)
        p.add_argument("--reason", default="")
        if action == "edit":
            chosen = p.add_mutually_exclusive_group(required=True)
            chosen.add_argument("--chosen", help="the chosen answer")
            chosen.add_argument("--chosen-file", type=Path, help="file holding the chosen answer")
    return parser
