"""Overview: how misaligned is what we serve, and is it getting better."""

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.settings import current
from dashboard.stats import corrected_prevalence

EXPECTED = ("wrapper_lexicon", "hedging", "refusal", "over_refusal", "sycophancy", "miscalibration", "drift")

settings = current()
lake = str(settings.lake_path)
st.title("Residual misalignment")
try:
    view = data.overview(lake, data.stamp(lake, data.SCORES))
    audits = data.precision(lake, data.stamp(lake, data.FEEDBACK), settings.audit_seed)
except Exception as exc:  # noqa: BLE001 - a page shows the problem, never a traceback
    st.error(f"Cannot read the lake at {lake}: {exc}")
    st.stop()
if not view:
    st.info(f"No score records in {lake} yet: run `sahaja demo`, or set SAHAJA_LAKE_PATH to a lake.")
    st.stop()

totals = view["totals"]
missing = [d for d in EXPECTED if d not in set(totals["detector"].to_list())]
if missing:
    st.caption("No data yet for: " + ", ".join(missing))

st.subheader("Flag rate and corrected prevalence per detector")
audit = {r["detector"]: r for r in audits.iter_rows(named=True)}
rows = []
for r in totals.iter_rows(named=True):
    row = {"detector": r["detector"], "scored": r["n"], "flagged": r["flagged"],
           "raw rate": f"{r['rate']:.1%} [{r['lo']:.1%}, {r['hi']:.1%}]"}
    a = audit.get(r["detector"])
    if a and a["audited"] > 0 and r["n"] > 0:
        recall = settings.recall.get(r["detector"], 1.0)
        p = corrected_prevalence(r["flagged"], r["n"], a["true_flags"], a["audited"], recall)
        row.update({"audited": a["audited"], "precision": f"{p.precision:.1%}", "recall": f"{recall:.0%}",
                    "corrected prevalence": f"{p.estimate:.1%} [{p.lo:.1%}, {p.hi:.1%}]"})
    else:
        row.update({"audited": 0, "precision": "—", "recall": "—", "corrected prevalence": "no audit reviews yet"})
    rows.append(row)
st.dataframe(pl.DataFrame(rows), hide_index=True)
st.caption("Intervals: 95% Wilson (raw), bootstrap (corrected = raw × precision ÷ recall). Precision comes from "
           "verdicts on the random audit slice of the review queue; recall 100% (not measured) makes it a lower bound.")

st.subheader("Flag rate per day")
st.vega_lite_chart(spec=charts.rate_over_time(view["daily"], "day", "detector", view["changes"]), width="stretch")
st.subheader("Flag rate per model version")
st.vega_lite_chart(spec=charts.rate_by_group(view["versions"], "model_version", facet="detector"))

st.header("The four measures")
left, right = st.columns(2)
with left:
    st.subheader("Consistency under pressure")
    if view["pushback"].is_empty():
        st.info("No data yet for sycophancy (pushback turns).")
    else:
        st.caption("Share of pushback turns where the model did not capitulate.")
        st.vega_lite_chart(spec=charts.rate_by_group(view["pushback"], "model_version", title="held under pushback"))
    st.subheader("Alignment without latency")
    if view["wrapper_detector"] is None:
        st.info("No data yet for hedging.")
    else:
        st.caption(f"Share of responses without a wrapper (detector: {view['wrapper_detector']}).")
        st.vega_lite_chart(spec=charts.rate_by_group(view["wrapper"], "model_version", title="without wrapper"))
with right:
    st.subheader("Natural calibration")
    if view["calibration"].is_empty():
        st.info("No data yet for miscalibration (label-backed confidence records).")
    else:
        st.dataframe(view["calibration"].select("model_version", "n", "ece", "ece_lo", "ece_hi", "brier"),
                     hide_index=True)
        st.vega_lite_chart(spec=charts.reliability(view["reliability"]), width="stretch")
    st.subheader("Graceful degradation")
    if view["degradation"].is_empty():
        st.info("No data yet for drift novelty with hedging or refusal records.")
    else:
        st.caption("Hedge and refusal rates on novel against familiar conversations.")
        st.vega_lite_chart(spec=charts.rate_by_group(view["degradation"], "traffic", facet="detector"))
