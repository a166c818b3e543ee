"""`sahaja drift reference` and `sahaja drift test`: build a reference once; audit a window offline.

`drift test --window LAKE --since T1 --until T2` re-tests any stretch of stored traffic with the
scores the worker stored: the worker's own windows live in memory and start again after a restart.
`drift test --previous 3600 --record` is the scheduled form (the chart's drift CronJob): it tests the
last whole hour of the lake, across every partition, and records the events in the lake's drift
table, where the dashboard reads them; a run repeated for the same hour replaces its own file.
`--publish` also sends them to the drift topic, as the worker does.

The entry point wires these into its parser (`add_reference_arguments`, `add_test_arguments`) and
calls `reference_main(args)` / `test_main(args)`. Exit codes: 0 when the command ran (whatever
the verdict: a drifted window is a finding, not a failure), 2 for bad input, with the fix printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from detectors.config import DetectorConfig
from detectors.drift.build import DEFAULT_CLUSTERS, DEFAULT_MIN_WINDOW, DEFAULT_SAMPLE, build_reference
from detectors.drift.calibrate import calibrate
from detectors.drift.errors import DriftError, DriftInputError, EmptyWindowError, WindowTooSmallError
from detectors.drift.events import OVERALL, DriftEvent
from detectors.drift.reference import ReferenceProfile
from detectors.drift.sources import JsonlReader, SourceReader, TimeRange
from detectors.drift.text import drift_text, last_content, prompt_length, reply_length
from detectors.drift.window import WindowData, evaluate_window
from detectors.errors import SahajaDetectorError
from detectors.schema import Conversation, ScoreRecord, SourcedConversation

Embed = Callable[[Sequence[str]], np.ndarray]
Record = Callable[[list[DriftEvent]], str]  # stores events, returns where (the sahaja CLI: lake and/or topic)
EXIT_OK = 0
EXIT_BAD_INPUT = 2
DEFAULT_WINDOW = 2000


def add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", required=True, help="lake (folder or s3:// URL) or JSONL file")
    parser.add_argument("--out", type=Path, required=True, help="reference folder to write")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="conversations kept (uniform sample)")
    parser.add_argument("--clusters", type=int, default=DEFAULT_CLUSTERS)
    parser.add_argument(
        "--window-size", type=int, default=DEFAULT_WINDOW, help="window size the level is calibrated for"
    )
    parser.add_argument("--min-window", type=int, default=DEFAULT_MIN_WINDOW)
    parser.add_argument("--alpha", type=float, default=0.01, help="false-alarm rate per window")
    parser.add_argument("--calibration-splits", type=int, default=100)
    parser.add_argument("--no-scores", action="store_true", help="skip detector score distributions")
    parser.add_argument("--seed", type=int, default=0)


def utc_time(text: str) -> datetime:
    """An ISO 8601 date or time for --since / --until; without a zone it is UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date or time (2026-11-23T06:00)") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def positive_seconds(text: str) -> int:
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number of seconds (3600: an hour)")
    return seconds


def add_test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reference", type=Path, help="reference folder (sahaja CLI default: SAHAJA_DRIFT_REFERENCE)")
    parser.add_argument(
        "--window",
        help="JSONL file of conversations, or the worker's lake (folder or s3:// URL; its stored scores are used); "
        "sahaja CLI default: SAHAJA_LAKE_PATH",
    )
    parser.add_argument("--since", type=utc_time, help="first event time to include (ISO 8601, UTC when no zone)")
    parser.add_argument("--until", type=utc_time, help="event time to stop before (exclusive)")
    parser.add_argument(
        "--previous", type=positive_seconds, metavar="SECONDS",
        help="instead of --since/--until: the last whole window of this many seconds before now, aligned to the "
        "epoch like the worker's time windows (for a schedule: 3600 run at :05 tests the hour that just ended)",
    )
    parser.add_argument("--record", action="store_true", help="also store the events in the lake's drift table")
    parser.add_argument(
        "--publish", action="store_true",
        help="also send the events to the drift topic, keyed by window id as the worker sends them",
    )
    parser.add_argument(
        "--limit", type=int,
        help="conversations to test (uniform sample); default: a lake gives the reference's calibrated window "
        "size, a file all of its conversations",
    )
    parser.add_argument("--json", action="store_true", help="print the events as JSON")
    parser.add_argument("--no-scores", action="store_true", help="skip the detector behaviour tests")
    parser.add_argument("--seed", type=int, default=0)


def _encoder(config: DetectorConfig) -> object:
    from detectors.encoder import Encoder

    return Encoder.from_config(config)


def _manifest_hash(encoder: object | None) -> str | None:
    """The encoder's content hash, so a reference records which model made its embeddings."""
    manifest = getattr(encoder, "manifest", None)
    return manifest.content_hash() if manifest is not None else None


def _score(
    conversations: list[Conversation], config: DetectorConfig, encoder: Any, only: set[str] | None = None
) -> list[ScoreRecord]:
    """Records of the enabled detectors, or of `only` (the reference's), sharing the encoder already loaded.

    `drift` is left out: its novelty scores are not behaviour. A detector the reference has but this
    install does not register is skipped, so its behaviour tests do not run.
    """
    from detectors.base import registered
    from detectors.pipeline import Scorer, load_detector_modules

    load_detector_modules()
    wanted = config.enabled if only is None else tuple(sorted(only & set(registered())))
    names = tuple(n for n in wanted if n != "drift")
    if not names:
        return []
    scorer = Scorer.from_config(config.model_copy(update={"enabled": names}), encoder_factory=lambda _: encoder)
    outcome = scorer.score([SourcedConversation(conversation=c) for c in conversations])
    return outcome.records


def _embedder(config: DetectorConfig, embed: Embed | None) -> tuple[Embed, object | None]:
    if embed is not None:
        return embed, None
    encoder = _encoder(config)
    return encoder.embed, encoder  # type: ignore[attr-defined]


def reference_main(
    args: argparse.Namespace,
    *,
    config: DetectorConfig | None = None,
    embed: Embed | None = None,
    out: TextIO = sys.stdout,
    reader: SourceReader | None = None,
) -> int:
    config = config or DetectorConfig()
    reader = reader or JsonlReader()
    try:
        conversations, records, seen = reader.read(str(args.source), args.sample, args.seed, TimeRange())
        vectors_fn, encoder = _embedder(config, embed)
        vectors = np.asarray(vectors_fn([drift_text(c) for c in conversations]), dtype=np.float32)
        if records is None and not getattr(args, "no_scores", False) and encoder is not None:
            records = _score(conversations, config, encoder)
        profile = build_reference(
            vectors,
            [last_content(c, "user") or last_content(c, "assistant") for c in conversations],
            [reply_length(c) for c in conversations],
            [prompt_length(c) for c in conversations],
            records or [],
            n_seen=seen,
            n_clusters=args.clusters,
            seed=args.seed,
            alpha=args.alpha,
            min_window=args.min_window,
            encoder_manifest_hash=_manifest_hash(encoder),
        )
        if args.calibration_splits > 0:
            profile = calibrate(profile, args.window_size, args.calibration_splits, seed=args.seed)
        profile.save(Path(args.out))
    except SahajaDetectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    m = profile.manifest
    print(
        f"reference {m.reference_id}: {m.n_sample} of {m.n_seen} conversations, {len(m.clusters)} clusters, "
        f"alpha {m.alpha:.4g} (nominal {m.nominal_alpha}), detectors {sorted(m.detectors)} -> {args.out}",
        file=out,
    )
    for c in m.clusters:
        print(f"  cluster {c.index:2d} {c.share:6.1%}  {' '.join(c.top_words)}", file=out)
    return EXIT_OK


def test_main(
    args: argparse.Namespace,
    *,
    config: DetectorConfig | None = None,
    embed: Embed | None = None,
    out: TextIO = sys.stdout,
    reader: SourceReader | None = None,
    record: Record | None = None,
    now: datetime | None = None,
) -> int:
    config = config or DetectorConfig()
    reader = reader or JsonlReader()
    try:
        span = test_range(args, now or datetime.now(UTC))
        if args.reference is None or args.window is None:
            raise DriftInputError("give --reference and --window (the sahaja CLI fills both from its settings)")
        if _keeps(args) and record is None:
            raise DriftInputError("--record / --publish need a lake or a topic: run it through the sahaja CLI")
        profile = ReferenceProfile.load(Path(args.reference))
        source = str(args.window)
        lake = reader.is_lake(source)
        limit = getattr(args, "limit", None) or (window_limit(profile) if lake else None)
        conversations, stored, _ = reader.read(source, limit, args.seed, span)
        vectors_fn, encoder = _embedder(config, embed)
        vectors = np.asarray(vectors_fn([drift_text(c) for c in conversations]), dtype=np.float32)
        wanted = set() if getattr(args, "no_scores", False) else set(profile.scores)
        records: list[ScoreRecord] = []
        if wanted and stored is not None:  # a lake: the records the worker stored, not a second scoring
            records = [r for r in stored if r.detector in wanted]
        elif wanted and encoder is not None:
            records = _score(conversations, config, encoder, only=wanted)
        window = WindowData(
            [c.conversation_id for c in conversations],
            [c.model_version for c in conversations],
            vectors,
            [c.timestamp for c in conversations if c.timestamp is not None],
            np.asarray([reply_length(c) for c in conversations], dtype=np.float32),
            records,
        )
        window_id = f"{'lake' if lake else 'file'}:{Path(source).name}"
        if span.bounded:
            window_id += f"@{span.describe()}"
        events = evaluate_window(profile, window, window_id=window_id, seed=args.seed)
    except (EmptyWindowError, WindowTooSmallError) as exc:
        if getattr(args, "previous", None) is None:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        # A schedule meets quiet hours: skipped, as the worker skips a small window, not a failed run.
        print(f"skipped {span.describe()}: {exc}", file=sys.stderr)
        return EXIT_OK
    except (SahajaDetectorError, DriftError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in events], indent=2), file=out)
    else:
        print(format_events(events), file=out)
    if record is not None and _keeps(args):  # after the verdict is out: a write may fail
        print(f"recorded {len(events)} events in {record(events)}", file=sys.stderr)
    return EXIT_OK


def _keeps(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "record", False) or getattr(args, "publish", False))


def test_range(args: argparse.Namespace, now: datetime) -> TimeRange:
    """The event-time range of `drift test`: --since/--until as given, or the --previous whole window."""
    since, until, previous = getattr(args, "since", None), getattr(args, "until", None), getattr(args, "previous", None)
    if previous is None:
        return TimeRange(since, until)
    if since is not None or until is not None:
        raise DriftInputError("--previous picks the range itself: drop --since/--until")
    return TimeRange.last_whole(previous, now)


def window_limit(profile: ReferenceProfile) -> int:
    """The window size the reference's false-alarm level was calibrated for (2,000 when uncalibrated)."""
    return int(profile.manifest.calibration.get("window_size") or DEFAULT_WINDOW)


def format_events(events: list[DriftEvent]) -> str:
    lines = [f"{'test':28s} {'statistic':>11s} {'p':>8s} {'p_holm':>8s} {'effect':>8s}  drifted"]
    for e in events:
        if e.test == OVERALL:
            continue
        lines.append(
            f"{e.test:28s} {e.statistic:11.4g} {e.p_value:8.4f} {e.p_adjusted:8.4f} {e.effect_size:8.4f}  "
            f"{'YES' if e.drifted else 'no'}"
        )
    overall = next(e for e in events if e.test == OVERALL)
    lines.append(
        f"verdict: {'DRIFT' if overall.drifted else 'no drift'} (n={overall.n}, alpha={overall.alpha:.4g}, "
        f"Holm over {len(events) - 1} tests, reference {overall.reference_id})"
    )
    for label, shifts in (("gaining", overall.clusters_gaining), ("losing", overall.clusters_losing)):
        for s in shifts:
            lines.append(
                f"  {label} cluster {s.cluster} '{s.label}': {s.reference_share:.1%} -> {s.window_share:.1%}"
                f"  e.g. {', '.join(s.example_conversation_ids)}"
            )
    return "\n".join(lines)
