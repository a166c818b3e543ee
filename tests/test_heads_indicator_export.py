"""The sparse n-gram heads compute what the scikit-learn model computes on the dense indicator block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.errors import HeadInputError
from detectors.heads.ngrams import ngram_ids, stack_ngram_ids
from detectors.heads.onnx_head import IndicatorFeatures, OnnxHead, export_classifier
from detectors.training.fitting import dense_and_indicators_model
from detectors.training.indicator_export import export_indicator_head

WORDS = "alpha beta gamma delta note important however cannot help sorry sure here".split()
BUCKETS, VALUE, N_DENSE = 256, 5.0, 12


def _features(rng: np.random.Generator, n: int) -> tuple[IndicatorFeatures, list[str]]:
    texts = [" ".join(rng.choice(WORDS, int(rng.integers(0, 12)))) for _ in range(n)]  # some rows set no bucket
    dense = rng.normal(size=(n, N_DENSE)).astype(np.float32)
    return IndicatorFeatures(dense, ngram_ids(texts, BUCKETS, VALUE)), texts


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, IndicatorFeatures, Path, Path]:
    rng = np.random.default_rng(0)
    features, texts = _features(rng, 400)
    # The label needs both parts: a dense column and a word.
    y = ((features.dense[:, 0] > 0) ^ np.array(["sorry" in t for t in texts])).astype(int)
    model = dense_and_indicators_model(0.3, N_DENSE).fit(features.matrix(), y)
    folder = tmp_path_factory.mktemp("heads")
    sparse = export_indicator_head(model, features, folder / "sparse.onnx")
    dense = export_classifier(model, features.matrix().shape[1], folder / "dense.onnx")
    return model, features, sparse, dense


def test_sparse_head_matches_scikit_learn_and_the_dense_export(fitted) -> None:  # noqa: ANN001
    model, _, sparse_path, dense_path = fitted
    probe, _ = _features(np.random.default_rng(1), 200)
    expected = model.predict_proba(probe.matrix())[:, 1]
    assert 0.1 < float(np.mean(expected > 0.5)) < 0.9  # not a constant model
    sparse = OnnxHead(sparse_path)
    assert sparse.sparse and sparse.ngram_layout == (BUCKETS, VALUE)
    assert sparse.n_features == N_DENSE + BUCKETS
    assert np.max(np.abs(sparse.predict_proba(probe) - expected)) < 1e-5
    assert np.max(np.abs(sparse.predict_proba(probe) - OnnxHead(dense_path).predict_proba(probe.matrix()))) < 1e-5
    # one row, a row that sets no bucket, and nothing at all
    empty_text = IndicatorFeatures(probe.dense[:1], ngram_ids([""], BUCKETS, VALUE))
    assert abs(sparse.predict_proba(empty_text)[0] - model.predict_proba(empty_text.matrix())[0, 1]) < 1e-5
    none = IndicatorFeatures(np.zeros((0, N_DENSE), np.float32), ngram_ids([], BUCKETS, VALUE))
    assert sparse.predict_proba(none).shape == (0,)


def test_heads_refuse_features_of_another_layout(fitted) -> None:  # noqa: ANN001
    _, features, sparse_path, dense_path = fitted
    sparse = OnnxHead(sparse_path)
    with pytest.raises(HeadInputError, match="pass IndicatorFeatures"):
        sparse.predict_proba(features.matrix())
    other_value = IndicatorFeatures(features.dense, ngram_ids(["sorry"] * len(features), BUCKETS, 2.0))
    with pytest.raises(HeadInputError, match="trained on n-grams"):
        sparse.predict_proba(other_value)
    # A dense head (skl2onnx, as heads trained before the sparse export) still reads IndicatorFeatures.
    assert OnnxHead(dense_path).predict_proba(features).shape == (len(features),)


def test_a_sparse_head_without_its_layout_is_refused_at_load(fitted, tmp_path: Path) -> None:  # noqa: ANN001
    import onnx

    model = onnx.load(str(fitted[2]))
    del model.metadata_props[:]
    bare = tmp_path / "bare.onnx"
    bare.write_bytes(model.SerializeToString())
    with pytest.raises(HeadInputError, match="layout"):
        OnnxHead(bare)


def test_export_refuses_a_model_of_another_layout(fitted, tmp_path: Path) -> None:  # noqa: ANN001
    model, features, _, _ = fitted
    narrower = IndicatorFeatures(features.dense, ngram_ids(["a"] * len(features), BUCKETS // 2, VALUE))
    with pytest.raises(ValueError, match="layout"):
        export_indicator_head(model, narrower, tmp_path / "h.onnx")
    assert not (tmp_path / "h.onnx").exists()


def test_ngram_ids_stack_like_their_dense_blocks() -> None:
    first, second = ["I can't help with that.", ""], ["Sure, here it is.", "Alpha beta"]
    stacked = stack_ngram_ids([ngram_ids(first, BUCKETS, VALUE), ngram_ids(second, BUCKETS, VALUE)])
    assert (stacked.dense() == ngram_ids(first + second, BUCKETS, VALUE).dense()).all()
    with pytest.raises(ValueError, match="different"):
        stack_ngram_ids([ngram_ids(first, BUCKETS, VALUE), ngram_ids(second, BUCKETS, 1.0)])
    with pytest.raises(ValueError, match="rows"):
        IndicatorFeatures(np.zeros((3, 2), np.float32), ngram_ids(first, BUCKETS, VALUE))
