"""The Encoder's own behaviour: windows for long texts, bad input, order, batching, memory."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import numpy as np
import pytest

from detectors.config import DetectorConfig
from detectors.encoder import Encoder
from detectors.encoder.batching import MAX_PAD_FRACTION, MAX_PAD_TOKENS_ALWAYS_OK, plan_batches
from detectors.encoder.providers import BoundRunner, PlainRunner
from detectors.encoder.tokenize import clean_text
from tests.encoder_fixtures import cosines, encoder_cache, encoder_factory, rss_bytes  # noqa: F401

LONG = " ".join(f"Sentence {i} says something different about topic {i % 7}." for i in range(120))


def test_long_text_is_windowed_not_cut(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32", max_length=32)
    content = encoder.tokenizer.content_ids([LONG])[0]
    (windows,) = encoder.tokenizer.windows([LONG])
    assert len(windows) == -(-len(content) // 30)  # ceil: every token in exactly one window
    assert np.array_equal(np.concatenate([w[1:-1] for w in windows]), content)
    assert all(w[0] == encoder.tokenizer.cls_id and w[-1] == encoder.tokenizer.sep_id for w in windows)

    per_window = encoder.run_sequences(windows)
    weights = np.array([len(w) for w in windows], dtype=np.float64)
    expected = (per_window * weights[:, None]).sum(0)
    expected /= np.linalg.norm(expected)
    got = encoder.embed([LONG])
    assert cosines(got, expected[None])[0] >= 0.99999
    assert cosines(got, encoder.embed_truncated([LONG]))[0] < 0.99  # the tail changed the vector


def test_short_text_windowed_equals_truncated(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32")
    texts = ["short one", "a bit longer text with several words in it", ""]
    np.testing.assert_allclose(encoder.embed(texts), encoder.embed_truncated(texts), atol=1e-6)


def test_window_cap_keeps_spread_and_warns(encoder_cache, encoder_factory: Callable[..., Encoder],  # noqa: F811
                                           caplog: pytest.LogCaptureFixture) -> None:
    cfg = DetectorConfig(model_cache_dir=encoder_cache[0], provider="cpu", max_length=16)
    capped = Encoder.from_config(cfg, max_windows=4)
    with caplog.at_level(logging.WARNING):
        (windows,) = capped.tokenizer.windows([LONG])
        vec = capped.embed([LONG])
    assert len(windows) == 4 and "windows" in caplog.text
    full = encoder_factory("fp32", max_length=16).tokenizer.windows([LONG])[0]
    assert len(full) > 4
    assert np.array_equal(windows[0], full[0]) and np.array_equal(windows[-1], full[-1])  # head and tail kept
    assert abs(float(np.linalg.norm(vec)) - 1) < 1e-5


BAD_INPUTS = {
    "empty": "",
    "whitespace": " \n\t ",
    "lone_surrogates": "abc \ud800 def \udfff",
    "control_chars": "a\x00b\x07c\x1b[31mred\x1b[0m\x7f\u200b\ufeff",
    "mixed_scripts": "English, 中文, العربية, हिन्दी, русский, 日本語 😀 e\u0301",
    "one_megabyte": ("lorem ipsum dolor sit amet " * 40000)[:1_000_000],
    "one_huge_word": "x" * 100_000,
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gives_a_unit_vector(encoder_factory: Callable[..., Encoder], name: str) -> None:  # noqa: F811
    encoder = encoder_factory("fp32")
    out = encoder.embed([BAD_INPUTS[name], "a normal sentence"])
    assert out.shape == (2, 384) and np.all(np.isfinite(out))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    # the normal sentence is unaffected by its odd batch-mate
    assert cosines(out[1:], encoder.embed(["a normal sentence"]))[0] >= 0.99999


def test_defined_cleaning_rules(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32")
    assert clean_text("  x\ud800y  ") == "x\ufffdy"
    same = encoder.embed(["abc \ud800 def", "abc \ufffd def", ""])
    assert cosines(same[:1], same[1:2])[0] >= 0.99999
    assert encoder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.embed("one string, not a list")
    with pytest.raises(TypeError):
        encoder.embed(["ok", None])  # type: ignore[list-item]


def test_order_is_restored_across_buckets(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32", token_budget=256)  # small budget: many batches
    rng = random.Random(7)
    texts = [" ".join(["word"] * rng.randint(0, 60)) + f" item {i}" for i in range(40)]
    baseline = np.concatenate([encoder.embed([t]) for t in texts])
    got = encoder.embed(texts)
    assert cosines(got, baseline).min() >= 0.99999
    perm = list(range(len(texts)))
    rng.shuffle(perm)
    shuffled = encoder.embed([texts[i] for i in perm])
    assert cosines(shuffled, baseline[perm]).min() >= 0.99999


@pytest.mark.parametrize("budget", [256, 1024, 16384])
def test_batch_plan_respects_budget_and_padding(budget: int) -> None:
    rng = random.Random(budget)
    lengths = [rng.choice([2, 3, 5, 9, 17, 40, 128, 256, 300]) for _ in range(500)]
    plan = plan_batches(lengths, budget)
    seen = np.sort(np.concatenate(plan))
    assert np.array_equal(seen, np.arange(len(lengths)))
    for rows in plan:
        sizes = [lengths[i] for i in rows]
        padded = max(sizes)
        assert padded == sizes[0]  # longest first: the batch's padded length
        assert len(rows) == 1 or padded * len(rows) <= budget
        assert padded - min(sizes) <= max(MAX_PAD_TOKENS_ALWAYS_OK, int(padded * MAX_PAD_FRACTION))


def test_io_binding_path_equals_plain_run(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32")
    session = encoder._active.session
    seqs = encoder.tokenizer.truncate(["binding path", "a second, longer input sentence"])
    ids = np.zeros((2, max(map(len, seqs))), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, : len(s)], mask[i, : len(s)] = s, 1
    bound = BoundRunner(session, "cpu").run(ids, mask)
    plain = PlainRunner(session).run(ids, mask)
    np.testing.assert_allclose(bound, plain, atol=1e-6)


def test_threads_follow_config(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32", intra_op_threads=1)
    assert encoder._active.session.get_session_options().intra_op_num_threads == 1


@pytest.mark.slow
def test_rss_stays_flat_over_many_encodes(encoder_factory: Callable[..., Encoder]) -> None:  # noqa: F811
    encoder = encoder_factory("fp32")
    rng = random.Random(3)
    texts = [" ".join(rng.choice(["alpha", "beta", "gamma", "delta", "sigma"]) for _ in range(rng.randint(1, 40)))
             for _ in range(64)]
    for _ in range(30):  # warm-up: the arena grows to its working size
        encoder.embed(rng.sample(texts, 4))
    before = rss_bytes()
    for _ in range(200):  # the benchmark runs the long version (100k texts)
        encoder.embed(rng.sample(texts, 4))
    growth = rss_bytes() - before
    assert growth < 16 * 2**20, f"RSS grew {growth / 2**20:.1f} MiB over 200 encodes"
