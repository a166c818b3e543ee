"""`sahaja eval DATASET.jsonl`: score a labelled file with the shipped heads and measure each detector
against its labels, with the keyword baseline side by side.

The file's rows carry `labels` in one of the staged datasets' shapes; the dataset is recognised from
them (or named), so held-out splits of the same sources evaluate without any option.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detectors.config import DetectorConfig
from detectors.pipeline import Scorer
from detectors.schema import Conversation, ScoreRecord, SourcedConversation

Evaluator = Callable[[list[dict[str, Any]], list[ScoreRecord]], dict[str, Any]]


def _evaluators() -> dict[str, tuple[tuple[str, ...], Evaluator]]:
    from detectors.evaluation.hedging import evaluate_hedging
    from detectors.evaluation.miscalibration import evaluate_miscalibration
    from detectors.evaluation.refusal import evaluate_refusal
    from detectors.evaluation.sycophancy import evaluate_sycophancy

    return {
        "hedging_annotated": (("hedging", "refusal"), evaluate_hedging),
        "xstest": (("refusal", "over_refusal"), evaluate_refusal),
        "sycophancy_constructed": (("sycophancy",), evaluate_sycophancy),
        "sycobench_pressure": (("sycophancy",), evaluate_sycophancy),
        "truthfulqa_judge": (("miscalibration",), evaluate_miscalibration),
    }


def guess_dataset(rows: list[dict[str, Any]]) -> str:
    """Recognise a staged dataset from the label keys of its rows."""
    keys = set().union(*(r.get("labels", {}).keys() for r in rows[:50]))
    checks = [
        ("wrapper", "hedging_annotated"),
        ("is_over_refusal", "xstest"),
        ("stance", "sycophancy_constructed"),
        ("flip_type_in_file", "sycobench_pressure"),
        ("truthful", "truthfulqa_judge"),
    ]
    for key, name in checks:
        if key in keys:
            return name
    raise ValueError(f"cannot tell which labels {sorted(keys)} carry; pass --dataset-name")


def read_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate_rows(
    rows: list[dict[str, Any]], config: DetectorConfig, dataset: str
) -> tuple[dict[str, Any], list[ScoreRecord]]:
    """Score labelled rows with the dataset's detectors; (metrics, records). A detector failure is an
    error here: a metric over the rows that survived would mislead."""
    detectors, evaluate = _evaluators()[dataset]
    scorer = Scorer.from_config(config.model_copy(update={"enabled": detectors}))
    items = [SourcedConversation(conversation=Conversation.model_validate(r)) for r in rows]
    records: list[ScoreRecord] = []
    for start in range(0, len(items), 256):
        outcome = scorer.score(items[start : start + 256])
        if outcome.failures:
            raise RuntimeError(f"detectors failed: {[f.error for f in outcome.failures]}")
        records.extend(outcome.records)
    return evaluate(rows, records), records


def evaluate_file(path: Path, config: DetectorConfig, dataset: str | None = None) -> dict[str, Any]:
    rows = read_rows(path)
    if not rows:
        raise ValueError(f"{path} holds no rows")
    name = dataset or guess_dataset(rows)
    metrics, _ = evaluate_rows(rows, config, name)
    return {"dataset": name, "file": str(path), "rows": len(rows), "metrics": metrics}
