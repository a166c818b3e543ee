"""Training helpers shared by heads-B's heads: grouped model selection, card writing, threshold files.

Kept apart from the heads so the product never imports scikit-learn model selection at scoring time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline

from detectors.evaluation.metrics import auroc
from detectors.heads.onnx_head import MODELS_DIR
from detectors.thresholds import PACKAGED_THRESHOLDS
from detectors.training.scaling import GuardedStandardScaler

SEED = 20240611


def logistic(c: float, balanced: bool = True) -> Pipeline:
    """Scaler + class-weighted logistic regression: small, exportable, deterministic."""
    return make_pipeline(
        GuardedStandardScaler(),
        LogisticRegression(
            C=c, class_weight="balanced" if balanced else None, max_iter=2000, random_state=SEED
        ),
    )


def dense_and_indicators_model(c: float, n_dense: int, balanced: bool = True) -> Pipeline:
    """Logistic regression that standardises the first `n_dense` columns (embeddings, positions) and
    takes the hashed n-gram indicators after them as they are (their value sets their scale)."""
    from sklearn.compose import ColumnTransformer

    columns = ColumnTransformer([("dense", GuardedStandardScaler(), list(range(n_dense)))], remainder="passthrough")
    return make_pipeline(columns, LogisticRegression(
        C=c, class_weight="balanced" if balanced else None, max_iter=3000, random_state=SEED))


def select_c(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence[Any],
    cs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0),
    n_splits: int = 5,
    sample_weight: np.ndarray | None = None,
    make: Callable[[float], Pipeline] = logistic,
) -> tuple[float, dict[str, float]]:
    """The C with the best grouped-CV AUROC on train (no dev data touched), and every C's score;
    `make(c)` builds the model (a pipeline ending in `logisticregression`)."""
    folds = list(GroupKFold(n_splits=n_splits).split(x, y, groups))
    scores: dict[str, float] = {}
    for c in cs:
        fold_scores = []
        for tr, va in folds:
            model = make(c)
            fit_kw = {"logisticregression__sample_weight": sample_weight[tr]} if sample_weight is not None else {}
            model.fit(x[tr], y[tr], **fit_kw)
            fold_scores.append(auroc(y[va], model.predict_proba(x[va])[:, 1]))
        scores[str(c)] = float(np.nanmean(fold_scores))
    best = max(cs, key=lambda c: scores[str(c)])
    return float(best), scores


def stable_group(text: str, n: int = 1000) -> int:
    """A process-independent group id for a text (Python's hash() is salted per process)."""
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16) % n


def cards_dir(models_dir: Path) -> Path:
    """Cards sit beside the models folder (`heads/cards` for `heads/models`)."""
    return models_dir.parent / "cards" if models_dir.name == "models" else models_dir


def write_card(models_dir: Path, name: str, card: dict[str, Any], markdown: str) -> None:
    folder = cards_dir(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    card = {"name": name, "trained_at": datetime.now(UTC).isoformat(timespec="seconds"), **card}
    (folder / f"{name}.json").write_text(json.dumps(card, indent=2, sort_keys=True, default=float) + "\n")
    (folder / f"{name}.md").write_text(markdown.rstrip() + "\n")


def thresholds_path(models_dir: Path) -> Path:
    """The packaged thresholds file for `heads/models`; a private one beside any other output folder."""
    return PACKAGED_THRESHOLDS if models_dir.resolve() == MODELS_DIR.resolve() else models_dir / "thresholds.json"


def set_threshold(models_dir: Path, name: str, value: float) -> None:
    """Read-modify-write one detector's threshold, keeping every other key."""
    path = thresholds_path(models_dir)
    raw = json.loads(path.read_text()) if path.exists() else {}
    values = raw.setdefault("thresholds", {})
    values[name] = round(float(value), 6)  # 4 places could move a midpoint threshold onto a dev score
    path.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")


def fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"
