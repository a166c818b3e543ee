"""The overview's numbers as pure functions of lazy score scans: small frames out, nothing cached here.

Each `*_plan` builds a lazy aggregate; `overview` reads the lake once, column-pruned (see
`overview_frame`), and collects every plan over that frame together. The one-call helpers further
down collect a single plan each (tests, notebooks).

The four measures of the research behind the project:
- consistency under pressure: of the sycophancy records whose details say a pushback happened
  (`p_pushback >= 0.5`), the share not flagged (the model held, or changed only with evidence);
- natural calibration: ECE and reliability of `miscalibration` records (expressed confidence
  against label-backed correctness), see `detectors.calibration`;
- alignment without latency: the share of assistant turns without a wrapper (`hedging`, or the
  `wrapper_lexicon` baseline while the learned head is not deployed);
- graceful degradation: hedge and refusal rates on novel conversations (the `drift` novelty record
  flagged) against familiar ones.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboard.stats import calibration, with_wilson

PUSHBACK_AT = 0.5
HEDGE_DETECTORS = ("hedging", "wrapper_lexicon")  # the learned head first, the baseline as a stand-in
EMPTY = pl.DataFrame()
DETAIL_DETECTORS = ("sycophancy", "miscalibration")  # the only records whose details the overview parses
BASE_COLUMNS = ("conversation_id", "turn", "detector", "flagged", "model_version", "event_time")
CALIBRATION_FIELDS = pl.Struct(
    {"expressed_confidence": pl.Float64, "p_correct": pl.Float64, "p_correct_source": pl.String}
)


def _count_plan(frame: pl.LazyFrame, keys: list[str], flag: pl.Expr | None = None) -> pl.LazyFrame:
    flag = pl.col("flagged") if flag is None else flag
    return frame.group_by(keys).agg(pl.len().alias("n"), flag.cast(pl.UInt32).sum().alias("flagged")).sort(keys)


def _counts(frame: pl.LazyFrame, keys: list[str], flag: pl.Expr | None = None) -> pl.DataFrame:
    return with_wilson(_count_plan(frame, keys, flag).collect())


def _versioned(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(pl.col("model_version").fill_null("unknown"))


def totals_plan(scores: pl.LazyFrame) -> pl.LazyFrame:
    return _count_plan(scores, ["detector"])


def daily_plan(scores: pl.LazyFrame) -> pl.LazyFrame:
    """Per detector and UTC day of the conversation."""
    return _count_plan(scores.with_columns(pl.col("event_time").dt.date().alias("day")), ["detector", "day"])


def versions_plan(scores: pl.LazyFrame) -> pl.LazyFrame:
    return _count_plan(_versioned(scores), ["detector", "model_version"])


def changes_plan(scores: pl.LazyFrame) -> pl.LazyFrame:
    """First time each model_version was seen (markers on time charts)."""
    return (
        scores.group_by("model_version")
        .agg(pl.col("event_time").min().alias("first_seen"))
        .drop_nulls("model_version")
        .sort("first_seen")
    )


def pushback_plan(scores: pl.LazyFrame) -> pl.LazyFrame:
    """Per model_version: pushback turns (`held` = not flagged as sycophantic)."""
    pushed = _versioned(scores.filter(pl.col("detector") == "sycophancy")).filter(
        pl.col("details").str.json_path_match("$.p_pushback").cast(pl.Float64, strict=False) >= PUSHBACK_AT
    )
    return _count_plan(pushed, ["model_version"], ~pl.col("flagged")).rename({"flagged": "held"})


def wrapper_plan(scores: pl.LazyFrame, detector: str) -> pl.LazyFrame:
    """Per model_version: turns without a wrapper by `detector`."""
    frame = _versioned(scores.filter(pl.col("detector") == detector))
    return _count_plan(frame, ["model_version"], ~pl.col("flagged")).rename({"flagged": "without_wrapper"})


def calibration_rows_plan(scores: pl.LazyFrame, labels: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """`miscalibration` rows as (model_version, confidence, correct), label-backed correctness only.

    The same rows as `detectors.calibration.miscalibration_frame` (its default: a curve against the
    model's own guess of correctness would measure the guess), parsed with one `json_decode` per
    row instead of one JSON-path pass per field: six times faster on a large lake. With the lake's
    `labels` table, a late boolean `correct`/`truthful` label replaces the model's guess on the
    conversation's last scored assistant turn (the rule of `detectors.heads.miscalibration`; the
    per-turn object form of late labels is not applied here).
    """
    rows = (
        _versioned(scores.filter(pl.col("detector") == "miscalibration"))
        .select("conversation_id", "turn", "model_version",
                pl.col("details").str.json_decode(CALIBRATION_FIELDS).alias("d"))
        .unnest("d")
    )  # fmt: skip
    if labels is not None:
        last_turn = scores.group_by("conversation_id").agg(pl.col("turn").max().alias("last_turn"))
        late = (pl.col("p_correct_source") != "label") & pl.col("late_correct").is_not_null()
        rows = (
            rows.join(late_labels_plan(labels), on="conversation_id", how="left")
            .join(last_turn, on="conversation_id", how="left")
            .with_columns(late=late & (pl.col("turn") == pl.col("last_turn")))
            .with_columns(
                pl.when("late").then(pl.col("late_correct")).otherwise(pl.col("p_correct")).alias("p_correct"),
                pl.when("late").then(pl.lit("label")).otherwise(pl.col("p_correct_source")).alias("p_correct_source"),
            )
        )
    return rows.filter(
        (pl.col("p_correct_source") == "label")
        & pl.col("expressed_confidence").is_not_null()
        & pl.col("p_correct").is_not_null()
    ).select(
        "model_version", pl.col("expressed_confidence").alias("confidence"), pl.col("p_correct").alias("correct")
    )


def late_labels_plan(labels: pl.LazyFrame) -> pl.LazyFrame:
    """The latest boolean correctness label per conversation from the lake's `labels` table."""
    value = pl.coalesce(
        pl.col("labels").str.json_path_match("$.correct"), pl.col("labels").str.json_path_match("$.truthful")
    )
    return (
        labels.select("conversation_id", "event_time", value.alias("value"))
        .filter(pl.col("value").is_in(["true", "false"]))
        .sort("event_time")
        .group_by("conversation_id")
        .agg(pl.col("value").last())
        .select("conversation_id", (pl.col("value") == "true").cast(pl.Float64).alias("late_correct"))
    )


def degradation_plan(scores: pl.LazyFrame, available: set[str]) -> pl.LazyFrame | None:
    """Hedge and refusal flags on novel against familiar conversations (by the `drift` record)."""
    rated = [d for d in ("refusal", "over_refusal") if d in available]
    hedge = hedge_detector(available)
    if "drift" not in available or not (rated or hedge):
        return None
    novelty = (
        scores.filter(pl.col("detector") == "drift")
        .group_by("conversation_id")
        .agg(pl.col("flagged").any().alias("novel"))
    )
    joined = (
        scores.filter(pl.col("detector").is_in([*rated, *([hedge] if hedge else [])]))
        .join(novelty, on="conversation_id", how="inner")
        .with_columns(pl.when(pl.col("novel")).then(pl.lit("novel")).otherwise(pl.lit("familiar")).alias("traffic"))
    )
    return _count_plan(joined, ["detector", "traffic"])


def hedge_detector(available: set[str]) -> str | None:
    return next((d for d in HEDGE_DETECTORS if d in available), None)


def calibration_by_version(frame: pl.DataFrame, n_bins: int = 10) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per model_version ECE/Brier with intervals, reliability table of all versions together)."""
    if frame.is_empty():
        return EMPTY, EMPTY
    summaries = []
    for (version,), group in frame.group_by(["model_version"], maintain_order=True):
        stats, _ = calibration(group["confidence"].to_numpy(), group["correct"].to_numpy(), n_bins)
        summaries.append({"model_version": version, **stats})
    _, table = calibration(frame["confidence"].to_numpy(), frame["correct"].to_numpy(), n_bins, n_boot=1)
    return pl.DataFrame(summaries).sort("model_version"), table


# One-call helpers (tests, notebooks): each collects its own plan.
def detector_totals(scores: pl.LazyFrame) -> pl.DataFrame:
    return with_wilson(totals_plan(scores).collect())


def present(totals: pl.DataFrame) -> set[str]:
    return set(totals["detector"].to_list()) if not totals.is_empty() else set()


def pushback_consistency(scores: pl.LazyFrame) -> pl.DataFrame:
    return with_wilson(pushback_plan(scores).collect(), k="held")


def wrapper_free(scores: pl.LazyFrame, available: set[str]) -> tuple[str | None, pl.DataFrame]:
    name = hedge_detector(available)
    if name is None:
        return None, EMPTY
    return name, with_wilson(wrapper_plan(scores, name).collect(), k="without_wrapper")


def natural_calibration(
    scores: pl.LazyFrame, labels: pl.LazyFrame | None = None, n_bins: int = 10
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return calibration_by_version(calibration_rows_plan(scores, labels).collect(), n_bins)


def degradation(scores: pl.LazyFrame, available: set[str]) -> pl.DataFrame:
    plan = degradation_plan(scores, available)
    return EMPTY if plan is None else with_wilson(plan.collect())


def overview_frame(scores: pl.LazyFrame) -> pl.DataFrame:
    """The six narrow columns every aggregate needs, read once; `details` only where it is parsed.

    One column-pruned read shared by all aggregates is 2-3x faster than a scan per aggregate (each
    re-lists and re-decodes the files), and the JSON `details` column, the widest, is read only from
    the `detector=` folders of the detectors whose details are used. About 60 bytes a row in memory.
    """
    used = pl.col("detector").is_in(DETAIL_DETECTORS)
    thin = scores.filter(~used).select(*BASE_COLUMNS, pl.lit(None, pl.String).alias("details"))
    wide = scores.filter(used).select(*BASE_COLUMNS, "details")
    return pl.concat([thin, wide]).collect()


def overview(scores: pl.LazyFrame, labels: pl.LazyFrame | None = None) -> dict[str, Any]:
    """Everything the overview draws: small frames keyed by name (empty frames where no data yet).

    The lake is read once (`overview_frame`); the aggregates then run in memory, in one `collect_all`.
    `labels` is the lake's late-label table, when it has one (used for calibration).
    """
    scores = overview_frame(scores).lazy()
    totals = detector_totals(scores)
    available = present(totals)
    hedge = hedge_detector(available)
    plans: dict[str, pl.LazyFrame | None] = {
        "daily": daily_plan(scores),
        "versions": versions_plan(scores),
        "changes": changes_plan(scores),
        "pushback": pushback_plan(scores) if "sycophancy" in available else None,
        "wrapper": wrapper_plan(scores, hedge) if hedge else None,
        "calibration_rows": calibration_rows_plan(scores, labels) if "miscalibration" in available else None,
        "degradation": degradation_plan(scores, available),
    }
    names = [k for k, v in plans.items() if v is not None]
    frames = dict(zip(names, pl.collect_all([plans[k] for k in names]), strict=True))  # type: ignore[misc]
    counted = {"daily": "flagged", "versions": "flagged", "pushback": "held", "wrapper": "without_wrapper",
               "degradation": "flagged"}  # fmt: skip
    out: dict[str, Any] = {k: with_wilson(frames[k], k=c) if k in frames else EMPTY for k, c in counted.items()}
    rows = frames.get("calibration_rows")
    out["calibration"], out["reliability"] = calibration_by_version(rows) if rows is not None else (EMPTY, EMPTY)
    out.update(totals=totals, changes=frames["changes"], wrapper_detector=hedge)
    return out
