"""Vega-Lite specs of rates with their intervals, as plain dicts for `st.vega_lite_chart`.

Plain specs rather than Altair objects: the overview draws six charts per run, and building and
validating Altair objects cost more than the aggregates behind them on a large lake. The frames
are small (one row per day, version or bin), so their rows go inline as `data.values`.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

Spec = dict[str, Any]
UNIT = {"type": "quantitative", "scale": {"domain": [0, 1]}}


def values(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates and times as ISO strings, NaN as null)."""
    return list(json.loads(frame.write_json())) if not frame.is_empty() else []


def _markers(changes: pl.DataFrame | None, x_field: str) -> list[Spec]:
    """Dashed rules, labelled, where a model_version was first seen."""
    if changes is None or changes.is_empty():
        return []
    staggered = changes.rename({"first_seen": x_field}).with_columns(  # labels of close versions do not overlap
        (pl.int_range(pl.len()) % 4 * 11 + 6).alias("label_y")
    )
    data = {"values": values(staggered)}
    x = {"field": x_field, "type": "temporal"}
    return [
        {"data": data, "mark": {"type": "rule", "strokeDash": [4, 4], "color": "gray"}, "encoding": {"x": x}},
        {"data": data, "mark": {"type": "text", "align": "left", "dx": 3, "color": "gray"},
         "encoding": {"x": x, "y": {"field": "label_y", "type": "quantitative", "scale": None},
                      "text": {"field": "model_version"}}},
    ]  # fmt: skip


def rate_over_time(
    frame: pl.DataFrame, x: str, color: str, changes: pl.DataFrame | None = None, y_title: str = "flag rate"
) -> Spec:
    """Line of `rate` over `x` per `color`, a band from `lo` to `hi`, dashed rules at model_version changes."""
    x_enc = {"field": x, "type": "temporal", "title": None}
    color_enc = {"field": color, "type": "nominal"}
    band = {"mark": {"type": "area", "opacity": 0.2},
            "encoding": {"x": x_enc, "color": color_enc, "y": {"field": "lo", "type": "quantitative", "title": y_title},
                         "y2": {"field": "hi"}}}  # fmt: skip
    tooltip = [{"field": f} for f in (color, x, "n", "rate", "lo", "hi")]
    line = {"mark": {"type": "line", "point": True},
            "encoding": {"x": x_enc, "color": color_enc, "tooltip": tooltip,
                         "y": {"field": "rate", "type": "quantitative", "title": y_title}}}  # fmt: skip
    return {"data": {"values": values(frame)}, "height": 260, "layer": [band, line, *_markers(changes, x)]}


def rate_by_group(frame: pl.DataFrame, group: str, facet: str | None = None, title: str = "rate") -> Spec:
    """Points at `rate` with `lo`..`hi` error bars, one per `group` (optionally one row per `facet`)."""
    y = {"field": group, "type": "nominal", "title": None}
    layer = [
        {"mark": {"type": "rule"}, "encoding": {"y": y, "x": {"field": "lo", **UNIT, "title": title},
                                                 "x2": {"field": "hi"}}},
        {"mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {"y": y, "x": {"field": "rate", **UNIT, "title": title},
                      "tooltip": [{"field": f} for f in (group, "n", "rate", "lo", "hi")]}},
    ]  # fmt: skip
    if facet:
        return {"data": {"values": values(frame)},
                "facet": {"row": {"field": facet, "type": "nominal", "title": None}},
                "spec": {"height": {"step": 24}, "width": 320, "layer": layer}}  # fmt: skip
    return {"data": {"values": values(frame)}, "height": {"step": 24}, "width": 320, "layer": layer}


def reliability(table: pl.DataFrame) -> Spec:
    """Reliability diagram: share correct against mean confidence per bin (size = count), and the diagonal."""
    diagonal = {"data": {"values": [{"x": 0.0}, {"x": 1.0}]},
                "mark": {"type": "line", "color": "gray", "strokeDash": [4, 4]},
                "encoding": {"x": {"field": "x", **UNIT}, "y": {"field": "x", **UNIT}}}  # fmt: skip
    points = {"data": {"values": values(table)}, "mark": {"type": "circle"},
              "encoding": {"x": {"field": "mean_confidence", **UNIT, "title": "expressed confidence"},
                           "y": {"field": "accuracy", **UNIT, "title": "share correct"},
                           "size": {"field": "n", "type": "quantitative"},
                           "tooltip": [{"field": f} for f in ("bin", "n", "mean_confidence", "accuracy")]}}  # fmt: skip
    return {"height": 300, "layer": [diagonal, points]}


def drift_tests(frame: pl.DataFrame, changes: pl.DataFrame | None = None) -> Spec:
    """Adjusted p-value of every test per window (log scale), with model_version markers."""
    data = frame.select(
        "window_id", "window_end", "test", "n", "effect_size", "drifted", pl.col("p_adjusted").clip(1e-12, 1.0)
    )
    line = {"data": {"values": values(data)}, "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "window_end", "type": "temporal", "title": None},
                         "y": {"field": "p_adjusted", "type": "quantitative", "scale": {"type": "log"},
                               "title": "Holm-adjusted p"},
                         "color": {"field": "test", "type": "nominal"},
                         "tooltip": [{"field": f} for f in ("window_id", "test", "n", "p_adjusted", "effect_size",
                                                            "drifted")]}}  # fmt: skip
    return {"height": 280, "layer": [line, *_markers(changes, "window_end")]}


def cluster_shares(frame: pl.DataFrame) -> Spec:
    """Reference against window share of each moved cluster, side by side."""
    return {
        "data": {"values": values(frame)},
        "transform": [{"fold": ["reference_share", "window_share"], "as": ["when", "share"]}],
        "mark": "bar",
        "encoding": {"y": {"field": "label", "type": "nominal", "title": None},
                     "x": {"field": "share", "type": "quantitative"},
                     "color": {"field": "when", "type": "nominal"}, "yOffset": {"field": "when"},
                     "tooltip": [{"field": f} for f in ("label", "when", "share")]},
    }  # fmt: skip
