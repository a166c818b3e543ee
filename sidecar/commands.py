"""The `sahaja` subcommands that compose packages: each takes parsed args and the one Settings."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

from sidecar.settings import Settings


class KafkaPublisher:
    """`feedback.Publisher` over a producer, for announcing batches and review events."""

    def __init__(self, settings: Settings) -> None:
        from sidecar.kafka_clients import build_producer

        self.producer = build_producer(settings)

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        self.producer.send(topic, key=key, value=value).get(timeout=30)

    def close(self) -> None:
        self.producer.close(timeout=10)


def _publisher(settings: Settings) -> KafkaPublisher | None:
    return KafkaPublisher(settings) if settings.kafka_bootstrap_servers else None


LEXICAL_DETECTORS = frozenset({"wrapper_lexicon"})


def prepare_models(settings: Settings) -> None:
    """Build the encoder once if the enabled detectors need it (a no-op when the cache is current).

    Interactive commands do this for the user; `sahaja run` does not: in a cluster the image or an
    init container provides the model, and a missing one is an error that names the fix.
    """
    if set(settings.detector_config().enabled) <= LEXICAL_DETECTORS:
        return
    from detectors.encoder import build_encoder

    build_encoder(settings.detector_config())


def cmd_model_build(args: argparse.Namespace, settings: Settings) -> int:
    from detectors.encoder import build_encoder

    manifest = build_encoder(settings.detector_config(), force=args.force)
    print(manifest.model_dump_json(indent=2) if hasattr(manifest, "model_dump_json") else manifest)
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from detectors.training.cli import train_all

    results = train_all(settings.detector_config(), only=args.only)
    print(json.dumps(results, indent=2, default=str))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from detectors.evaluation.cli import evaluate_file

    prepare_models(settings)
    try:
        report = evaluate_file(args.dataset, settings.detector_config(), dataset=args.dataset_name)
    except (OSError, ValueError, KeyError) as exc:  # unreadable file, unknown labels, unknown --dataset-name
        print(f"cannot evaluate {args.dataset}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, default=str))
    return 0


def cmd_lake_compact(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime, timedelta

    from sidecar.compaction import compact_lake
    from sidecar.errors import LakeWriteError
    from sidecar.lake import Lake

    if args.keep_days < 1 or args.max_rows < 1:
        print("--keep-days and --max-rows must be >= 1", file=sys.stderr)
        return 2
    before = datetime.now(UTC).date() - timedelta(days=args.keep_days - 1)
    lake = Lake.from_settings(settings)
    try:
        results = compact_lake(lake, before, max_rows=args.max_rows, dry_run=args.dry_run)
    except (LakeWriteError, OSError) as exc:  # a folder that cannot be listed, read or written
        print(f"compaction stopped: {exc}", file=sys.stderr)
        return 1
    for r in results:
        print(f"{r.folder}: {r.files_before} -> {r.files_after} files ({r.rows} rows rewritten)")
    verb = "would leave" if args.dry_run else "left"
    print(f"{len(results)} folders before {before.isoformat()}; {verb} "
          f"{sum(r.files_after for r in results)} of {sum(r.files_before for r in results)} files")
    return 0


def cmd_drift(args: argparse.Namespace, settings: Settings) -> int:
    from detectors.drift.cli import reference_main, test_main
    from sidecar.drift_source import LakeOrJsonlReader

    config = settings.detector_config()
    if args.drift_command == "reference":
        return reference_main(args, config=config, reader=LakeOrJsonlReader(settings.lake_timeouts()))
    from kafka.errors import KafkaError

    from sidecar.errors import LakeWriteError

    fill_test_defaults(args, settings)
    record = partial(record_drift, settings, lake=args.record, publish=args.publish)
    try:
        return test_main(args, config=config, reader=LakeOrJsonlReader(settings.lake_timeouts()), record=record)
    except (LakeWriteError, OSError, KafkaError) as exc:
        print(f"the drift events were not recorded: {exc}", file=sys.stderr)
        return 1


def fill_test_defaults(args: argparse.Namespace, settings: Settings) -> None:
    """`drift test` without --reference / --window tests the configured reference against the configured lake."""
    args.reference = args.reference or settings.drift_reference
    args.window = args.window or str(settings.lake_path)


def record_drift(settings: Settings, events: list[Any], *, lake: bool = True, publish: bool = False) -> str:
    """`drift test --record / --publish`: the events into the configured lake's drift table (the
    dashboard's) and/or onto the drift topic, keyed by window id like the worker's; returns where."""
    from sidecar.extensions import drift_message, write_drift_events
    from sidecar.lake import Lake

    where = []
    if lake:
        where.append(str(write_drift_events(Lake.from_settings(settings), events)))
    if publish:
        publisher = KafkaPublisher(settings)
        try:
            for event in events:
                publisher.send(settings.drift_topic, *drift_message(event))
        finally:
            publisher.close()
        where.append(f"topic {settings.drift_topic}")
    return " and ".join(where)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from feedback import export_main

    publisher = _publisher(settings)
    try:
        return export_main(
            args.rest, lake=settings.lake_path, publisher=publisher, batches_topic=settings.batches_topic
        )
    finally:
        if publisher:
            publisher.close()


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from feedback import review_main

    publisher = _publisher(settings)
    rescorer = None
    if args.rest[:1] == ["sync"]:
        from detectors.pipeline import Scorer
        from feedback import scorer_rescorer

        rescorer = scorer_rescorer(Scorer.from_config(settings.detector_config()))
    try:
        return review_main(args.rest, lake=settings.lake_path, publisher=publisher, rescorer=rescorer,
                           reviews_topic=settings.reviews_topic, candidates_topic=settings.candidates_topic)
    finally:
        if publisher:
            publisher.close()


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.launch import main as launch

    return launch(settings.lake_path, port=args.port, host=args.host)


BENCHMARKS = {
    "encoder": "benchmarks.encoder",
    "pipeline": "benchmarks.pipeline",
    "drift": "benchmarks.drift",
    "dashboard": "benchmarks.dashboard",
    "soak": "benchmarks.soak",
    "lake-writes": "benchmarks.lake_writes",
}


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    import importlib

    module = importlib.import_module(BENCHMARKS[args.which])
    return int(module.main(args.rest))


def passthrough(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="arguments of the subcommand (see its --help)")


def print_error(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def parse_only(values: Sequence[str] | None) -> Any:
    return tuple(values) if values else None
