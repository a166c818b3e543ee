"""`python -m benchmarks.int8_parity`: do the detectors keep their dev F1 on the int8 encoder?

Issue 4 asks that int8 stays within 0.01 F1 of fp32. Runs `sahaja eval`'s code on the dev splits in
../shared/data with each variant and writes benchmarks/results/int8_parity.{json,md}. The fp16 graph
(the CUDA default) is run too, on the CPU: that checks the detectors against fp16 precision where no
GPU is lent, though not against the GPU's own kernels. The dev splits
are small (80-360 rows), so one flipped decision moves F1 by about 0.01: the report also counts the
decisions that differ between the variants and the largest score difference, which say whether a
gap is the encoder or the granularity of the data set.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from detectors.config import DetectorConfig
from detectors.encoder.manifest import read_manifest
from detectors.evaluation.cli import evaluate_rows, read_rows
from detectors.schema import ScoreRecord
from detectors.training.data import DataNotFoundError, dataset_path

RESULTS = Path(__file__).resolve().parent / "results"
HEADS = Path(__file__).resolve().parents[1] / "detectors" / "heads"
VARIANTS = ("fp32", "int8", "fp16")  # fp32 first: the others are compared with it
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


def compare_records(a: list[ScoreRecord], b: list[ScoreRecord]) -> dict[str, dict[str, float | int]]:
    """Per detector: records, decisions that differ, and the largest |score difference| (same keys in both)."""
    keyed = {(r.detector, r.conversation_id, r.turn): r for r in b}
    out: dict[str, dict[str, float | int]] = {}
    for r in a:
        other = keyed.get((r.detector, r.conversation_id, r.turn))
        if other is None:
            continue
        row = out.setdefault(r.detector, {"records": 0, "flips": 0, "max_abs_score_diff": 0.0})
        row["records"] += 1
        row["flips"] += int(r.flagged != other.flagged)
        row["max_abs_score_diff"] = max(row["max_abs_score_diff"], abs(r.score - other.score))
    return out


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def heads_digest(folder: Path = HEADS) -> str:
    """sha256 over the head models and thresholds: which heads were measured (they are retrained often)."""
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("models/*.onnx"), folder / "thresholds.json"]):
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    rows = []
    for dataset, path in CHECKS:
        try:
            source = dataset_path(dataset, "dev")
        except DataNotFoundError as exc:
            print(f"skipped {dataset}: {exc}", file=sys.stderr)
            continue
        scores, records, labelled = {}, {}, read_rows(source)
        for variant in VARIANTS:
            config = DetectorConfig(encoder_variant=variant, provider="cpu")
            metrics, records[variant] = evaluate_rows(labelled, config, dataset)
            scores[variant] = {"f1": _dig(metrics, path), "metrics": metrics}
        row: dict = {"dataset": dataset, "f1_fp32": scores["fp32"]["f1"], "detail": scores}
        for variant in VARIANTS[1:]:
            f32, other = scores["fp32"]["f1"], scores[variant]["f1"]
            delta = None if f32 is None or other is None else round(other - f32, 4)
            row[variant] = {"f1": other, "delta": delta, "within_0.01": delta is not None and abs(delta) <= 0.01,
                            "agreement": compare_records(records["fp32"], records[variant])}
        rows.append(row)
    manifest = read_manifest(Path(DetectorConfig().model_cache_dir))
    int8_sha = manifest.variants["int8"].sha256 if manifest and "int8" in manifest.variants else None
    result = {"date_utc": datetime.now(UTC).isoformat(timespec="seconds"), "heads_sha256": heads_digest(),
              "int8_sha256": int8_sha, "recipe_version": manifest.recipe_version if manifest else None,
              "checks": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "int8_parity.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    provenance = (f"Run {result['date_utc']} on CPU; heads sha256 {result['heads_sha256'][:12]}, "
                  f"int8 encoder {str(int8_sha)[:12]} (recipe {result['recipe_version']}).")
    lines = ["# Detector dev F1: int8 (and the fp16 graph, on CPU) against fp32", "", provenance, "",
             "| dataset | F1 fp32 | F1 int8 | int8 - fp32 | within 0.01 | F1 fp16 | fp16 - fp32 |",
             "|---|---:|---:|---:|---|---:|---:|"]
    lines += [f"| {r['dataset']} | {_f(r['f1_fp32'])} | {_f(r['int8']['f1'])} | {r['int8']['delta']} | "
              f"{r['int8']['within_0.01']} | {_f(r['fp16']['f1'])} | {r['fp16']['delta']} |" for r in rows]
    lines += ["", "Decisions that differ from fp32, per detector (same rows, same thresholds):", "",
              "| dataset | variant | detector | records | flipped | max abs score diff |",
              "|---|---|---|---:|---:|---:|"]
    lines += [f"| {r['dataset']} | {v} | {name} | {a['records']} | {a['flips']} | {a['max_abs_score_diff']:.4f} |"
              for r in rows for v in VARIANTS[1:] for name, a in sorted(r[v]["agreement"].items())]
    (RESULTS / "int8_parity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
