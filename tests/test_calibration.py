"""Calibration aggregates, shared metrics and the expressed-confidence extractor (no models needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from detectors.calibration import calibration_by_group, calibration_table, miscalibration_frame, summary
from detectors.confidence import has_hedge, lexical_confidence, stated_probability, turn_confidence
from detectors.evaluation import metrics as m
from detectors.schema import Conversation, SourcedConversation, make_record


def test_metrics_agree_with_scikit_learn_on_random_data_with_ties() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.random(400) * 0.6 + y * 0.3, 1)  # rounding makes many ties
    assert m.auroc(y, s) == pytest.approx(skm.roc_auc_score(y, s))
    assert m.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s))
    assert m.brier(y, s) == pytest.approx(skm.brier_score_loss(y, s))
    p, r, f = m.precision_recall_f1(y, s >= 0.5)
    assert (p, r, f) == pytest.approx(
        (skm.precision_score(y, s >= 0.5), skm.recall_score(y, s >= 0.5), skm.f1_score(y, s >= 0.5))
    )


def test_metrics_edge_cases_are_defined() -> None:
    assert np.isnan(m.auroc([1, 1], [0.2, 0.3]))
    assert m.precision_recall_f1([0, 0], [0, 0]) == (0.0, 0.0, 0.0)
    assert np.isnan(m.false_positive_rate([1], [1]))
    with pytest.raises(ValueError):
        m.brier([1, 0], [0.5])


def test_ece_by_hand() -> None:
    # Bin [0.9, 1.0): confidences 0.9, 0.9 with one correct -> |0.9 - 0.5| = 0.4, weight 2/4.
    # Bin [0.2, 0.3): 0.2, 0.2 with none correct -> |0.2 - 0| = 0.2, weight 2/4.
    assert m.ece([1, 0, 0, 0], [0.9, 0.9, 0.2, 0.2]) == pytest.approx(0.3)
    assert m.ece([1, 0], [1.0, 0.0]) == pytest.approx(0.0)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = rng.random(300) * 0.5 + y * 0.4
    a = m.bootstrap_ci(m.auroc, y, s, n_boot=200, seed=5)
    b = m.bootstrap_ci(m.auroc, y, s, n_boot=200, seed=5)
    assert a == b
    assert a[0] < m.auroc(y, s) < a[1]
    assert m.bootstrap_ci(m.auroc, y, s, n_boot=200, seed=6) != a


def test_best_f1_threshold_separates_separable_scores() -> None:
    threshold, best = m.best_f1_threshold([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9])
    assert best == 1.0 and 0.3 < threshold < 0.7


def test_calibration_table_rows_and_gap() -> None:
    table = calibration_table([0.05, 0.15, 0.95, 0.95, 1.0], [0, 0, 1, 1, 0], n_bins=10)
    assert table["n"].sum() == 5
    assert table["bin"].to_list() == [0, 1, 9]
    last = table.filter(pl.col("bin") == 9).row(0, named=True)
    assert last["n"] == 3 and last["accuracy"] == pytest.approx(2 / 3)
    assert last["gap"] == pytest.approx((0.95 + 0.95 + 1.0) / 3 - 2 / 3)


def test_summary_of_a_calibrated_source_has_small_ece() -> None:
    rng = np.random.default_rng(1)
    c = rng.random(4000)
    y = (rng.random(4000) < c).astype(float)
    s = summary(c, y, n_boot=100, seed=2)
    assert s["ece"] < 0.05 and s["ece_lo"] <= s["ece"] <= s["ece_hi"]
    over = summary(np.full(4000, 0.95), y, n_boot=100, seed=2)
    assert over["ece"] > 0.3 and over["brier"] > s["brier"]


def _records() -> pl.DataFrame:
    rng = np.random.default_rng(4)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rows = []
    for i in range(240):
        version = "v1" if i % 2 else "v2"
        conf = float(rng.random())
        # v1 is overconfident: right only half as often as it claims.
        correct = float(rng.random() < (conf / 2 if version == "v1" else conf))
        item = SourcedConversation(conversation=Conversation(
            conversation_id=f"c{i}", model_version=version, timestamp=start + timedelta(hours=i),
            messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]))
        source = "model" if i % 5 == 0 else "label"
        rec = make_record(item, turn=1, detector="miscalibration", detector_version="t", score=abs(conf - correct),
                          threshold=0.5, scored_at=start, details={"expressed_confidence": conf,
                                                                   "p_correct": correct, "p_correct_source": source})
        rows.append(rec.model_dump())
    return pl.DataFrame(rows)


def test_grouped_calibration_per_version_and_window_matches_direct_computation() -> None:
    frame = _records()
    out = calibration_by_group(frame, window="1d", n_boot=100, seed=0)
    assert set(out["model_version"].to_list()) == {"v1", "v2"}
    assert out["window_start"].dt.day().unique().sort().to_list() == list(range(1, 11))
    assert len(out) == 20
    labelled = miscalibration_frame(frame)
    assert labelled["source"].unique().to_list() == ["label"]
    assert len(labelled) == 240 - 48
    day_one = pl.col("event_time") < datetime(2026, 3, 2, tzinfo=UTC)
    v1 = labelled.filter((pl.col("model_version") == "v1") & day_one)
    row = out.filter((pl.col("model_version") == "v1") & (pl.col("window_start").dt.day() == 1)).row(0, named=True)
    assert row["n"] == len(v1)
    assert row["ece"] == pytest.approx(m.ece(v1["correct"].to_numpy(), v1["confidence"].to_numpy()))
    totals = out.group_by("model_version").agg(pl.col("ece").mean()).sort("model_version")
    assert totals["ece"][0] > totals["ece"][1]  # the overconfident version is the worse calibrated one
    with_model = calibration_by_group(frame, window="1d", n_boot=50, include_model=True)
    assert with_model["n"].sum() == 240


def test_grouped_calibration_of_nothing_is_an_empty_frame() -> None:
    assert calibration_by_group(pl.DataFrame()).is_empty()
    assert calibration_by_group(_records().filter(pl.col("detector") == "other")).is_empty()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("I'm 90% sure it's Lyon.", 0.9), ("Confidence: 0.7. It's Lyon.", 0.7), ("I'd say 8 out of 10 sure.", 0.8),
     ("90% of people live in cities.", None), ("It costs 20 percent more.", None)],
)
def test_stated_probability(text: str, expected: float | None) -> None:
    got = stated_probability(text)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(
    "text",
    ["I'm 90% SURE it's Lyon.", "PROBABILITY: 0.7", "8 OUT OF 10", "7/10", "I am 99% \u017fure (long s).",
     "Confidence \u0663\u0660%: Arabic-Indic digits", "50% chance", "no digits, only certainty", "12 apples", ""],
)
def test_the_cheap_precheck_never_hides_a_stated_probability(text: str) -> None:
    """The pre-check only skips texts the full pattern cannot match (case-folding included)."""
    from detectors.confidence import _NUMERIC, may_state_probability

    assert may_state_probability(text) or _NUMERIC.search(text) is None


def test_lexical_confidence_orders_certainty_plain_hedged_and_ignorant() -> None:
    certain = lexical_confidence("It is definitely Canberra.")
    plain = lexical_confidence("The capital is Canberra.")
    hedged = lexical_confidence("I think it might be Canberra.")
    lost = lexical_confidence("I really don't know. Maybe Canberra?")
    assert certain > plain > hedged > lost
    assert has_hedge("Perhaps it is.") and not has_hedge("It is.")
    assert lexical_confidence("") == 0.5 and lexical_confidence("```\nx = 1\n```") == 0.5


def test_stated_probability_wins_over_the_learned_head() -> None:
    assert turn_confidence("I'm 30% sure it is Paris.", learned=0.99) == pytest.approx(0.3)
    assert turn_confidence("It is Paris.", learned=0.25) == pytest.approx((0.75 + 0.25) / 2)


def test_reliability_tables_per_group_stack_and_sum_to_the_group_sizes() -> None:
    from detectors.calibration import reliability_by_group

    frame = _records()
    tables = reliability_by_group(frame, window="1d", n_bins=5)
    sizes = calibration_by_group(frame, window="1d", n_boot=10)
    joined = tables.group_by(["model_version", "window_start"]).agg(pl.col("n").sum()).join(
        sizes.select("model_version", "window_start", "n"), on=["model_version", "window_start"])
    assert len(joined) == len(sizes) and (joined["n"] == joined["n_right"]).all()
    assert tables["bin"].max() <= 4
    assert reliability_by_group(pl.DataFrame()).is_empty()


@pytest.mark.parametrize(
    "sentence",
    [
        "I'm not sure, but it is probably Paris.",  # two hedges: the lower wins
        "It is definitely, absolutely the capital.",  # boosters only
        "I think it is clearly the right call.",  # hedge and booster: treated as hedged
        "The train leaves at nine.",  # neither
        "MAYBE it rains; I DON'T KNOW.",  # case does not matter
    ],
)
def test_sentence_prior_one_pass_prefilter_agrees_with_every_pattern(sentence: str) -> None:
    from detectors import confidence as c

    hedges = [v for rx, v in c._HEDGE_RES if rx.search(sentence)]
    boosts = [v for rx, v in c._BOOST_RES if rx.search(sentence)]
    expected = min(hedges) if hedges else max(boosts) if boosts else c.PLAIN_ASSERTION
    assert c.sentence_prior(sentence) == expected
