"""`python -m benchmarks.int8_parity`: do the detectors keep their dev F1 on the int8 encoder?

Issue 4 asks that int8 stays within 0.01 F1 of fp32. Runs `sahaja eval`'s code on the dev splits in
../shared/data with each variant and writes benchmarks/results/int8_parity.{json,md}.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from detectors.config import DetectorConfig
from detectors.evaluation.cli import evaluate_file
from detectors.training.data import DataNotFoundError, dataset_path

RESULTS = Path(__file__).resolve().parent / "results"
CHECKS = (  # (dataset, path into the metrics to the F1 of the learned detector)
    ("hedging_annotated", ("head", "f1")),
    ("xstest", ("over_refusal", "head", "f1")),
    ("sycophancy_constructed", ("constructed", "detector", "f1")),
)


def _dig(metrics: dict, path: Sequence[str]) -> float | None:
    for key in path:
        if not isinstance(metrics, dict) or key not in metrics:
            return None
        metrics = metrics[key]
    return float(metrics) if isinstance(metrics, int | float) else None


def main(argv: Sequence[str] | None = None) -> int:
    rows = []
    for dataset, path in CHECKS:
        try:
            source = dataset_path(dataset, "dev")
        except DataNotFoundError as exc:
            print(f"skipped {dataset}: {exc}", file=sys.stderr)
            continue
        scores = {}
        for variant in ("fp32", "int8"):
            report = evaluate_file(source, DetectorConfig(encoder_variant=variant, provider="cpu"), dataset=dataset)
            scores[variant] = {"f1": _dig(report["metrics"], path), "metrics": report["metrics"]}
        f32, i8 = scores["fp32"]["f1"], scores["int8"]["f1"]
        delta = None if f32 is None or i8 is None else round(i8 - f32, 4)
        rows.append({"dataset": dataset, "f1_fp32": f32, "f1_int8": i8, "delta": delta,
                     "within_0.01": delta is not None and abs(delta) <= 0.01, "detail": scores})
    result = {"date_utc": datetime.now(UTC).isoformat(timespec="seconds"), "checks": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "int8_parity.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    lines = ["# Detector dev F1: int8 encoder against fp32", "", f"Run {result['date_utc']} on CPU.", "",
             "| dataset | F1 fp32 | F1 int8 | int8 - fp32 | within 0.01 |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r['dataset']} | {r['f1_fp32']} | {r['f1_int8']} | {r['delta']} | {r['within_0.01']} |" for r in rows]
    (RESULTS / "int8_parity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
