"""Cached reads for the pages. Every function takes the lake path and its `lake_stamp`, so the cache
key changes (and the page shows new data) as soon as a writer renames a new file into the lake.
On an object store the stamp is a listing of the tables, so it is itself cached for a few seconds.

Scores are read with a column-pruned lazy scan and aggregated in `dashboard.measures`; only small
frames are cached.
The feedback tables go through `feedback.FeedbackLake`, the same code the CLI uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboard import measures
from dashboard.lake import TABLES, lake_stamp, scan, scan_scores
from dashboard.queue import audited_precision, with_audit_key
from feedback import FeedbackLake
from feedback.lakefs import LakeFS

SCORES = ("scores", "labels")
FEEDBACK = ("candidates", "reviews")
LISTED_STAMP_TTL_S = 5  # an object-store stamp costs a LIST per 1,000 files: not on every rerun


def stamp(lake: Path | str, tables: tuple[str, ...] = TABLES) -> float:
    """The cache key part that changes when those tables do (see `dashboard.lake.lake_stamp`).

    Pages pass only the tables a read depends on, so a review (a new file in `reviews`) does not
    throw away the cached overview of the scores.
    """
    fs = LakeFS.from_location(lake)
    return lake_stamp(fs, tables) if fs.is_local else _listed_stamp(str(fs.location), tables)


@st.cache_data(show_spinner=False, ttl=LISTED_STAMP_TTL_S, max_entries=16)
def _listed_stamp(lake: str, tables: tuple[str, ...]) -> float:
    return lake_stamp(lake, tables)


@st.cache_data(show_spinner=False, max_entries=4)
def overview(lake: str, stamp: float) -> dict[str, Any]:
    """Everything the overview draws: small frames keyed by name (empty frames where no data yet)."""
    scores = scan_scores(lake)
    return {} if scores is None else measures.overview(scores, scan(lake, "labels"))


@st.cache_data(show_spinner=False, max_entries=4)
def candidates(lake: str, stamp: float, seed: int) -> pl.DataFrame:
    """Every candidate with its folded review state and its audit key."""
    return with_audit_key(FeedbackLake(lake).list_candidates(), seed)


@st.cache_data(show_spinner=False, max_entries=4)
def precision(lake: str, stamp: float, seed: int) -> pl.DataFrame:
    """Per detector: audited flags and true flags from the random audit slice."""
    return audited_precision(candidates(lake, stamp, seed))


@st.cache_data(show_spinner=False, max_entries=4)
def drift_events(lake: str, stamp: float) -> pl.DataFrame:
    """The drift table as written (empty frame while the drift monitor has not written anything)."""
    frame = scan(lake, "drift")
    return pl.DataFrame() if frame is None else frame.collect()


@st.cache_data(show_spinner=False, max_entries=4)
def version_changes(lake: str, stamp: float) -> pl.DataFrame:
    scores = scan_scores(lake)
    return pl.DataFrame() if scores is None else measures.changes_plan(scores).collect()


@st.cache_data(show_spinner=False, max_entries=16)
def conversations(lake: str, stamp: float, ids: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    """Message lists of the given conversation ids (latest snapshot of each)."""
    frame = scan(lake, "conversations")
    if frame is None or not ids:
        return {}
    rows = (
        frame.filter(pl.col("conversation_id").is_in(list(ids)))
        .sort("event_time")
        .group_by("conversation_id")
        .agg(pl.col("messages").last())
        .collect()
    )
    return {r["conversation_id"]: json.loads(r["messages"]) for r in rows.iter_rows(named=True)}


def clear() -> None:
    """Drop every cached read (after this session wrote a review or a batch)."""
    for fn in (_listed_stamp, overview, candidates, precision, drift_events, version_changes, conversations):
        fn.clear()
