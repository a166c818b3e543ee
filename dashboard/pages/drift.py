"""Drift: window test results over time, cluster shares reference against current, and examples."""

import json

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.render import conversation_html, show_html
from dashboard.settings import current


def clusters(value: object) -> list[dict]:
    """Cluster shifts as written: a list of structs, or a JSON string of one."""
    if isinstance(value, str):
        return list(json.loads(value or "[]"))
    return [dict(v) for v in value] if isinstance(value, list | tuple) else []


settings = current()
lake = str(settings.lake_path)
st.title("Drift")
try:
    version = data.stamp(lake, ("drift", "scores", "conversations"))
    events = data.drift_events(lake, version)
    changes = data.version_changes(lake, version)
except Exception as exc:  # noqa: BLE001 - a page shows the problem, never a traceback
    st.error(f"Cannot read the drift table of {lake}: {exc}")
    st.stop()
if events.is_empty():
    st.info("No drift events yet. The drift monitor writes one row per test per closed window to "
            f"{lake}/drift once a reference profile is configured (SAHAJA_DRIFT_REFERENCE).")
    st.stop()

events = events.sort("window_end")
tests = events.filter(pl.col("test") != "overall")
overall = events.filter(pl.col("test") == "overall")
st.metric("windows", overall.height, delta=f"{overall['drifted'].sum()} drifted", delta_color="inverse")
st.subheader("Window tests over time")
st.caption("Holm-adjusted p-value per test and window; dashed lines mark where a model_version first appeared.")
st.vega_lite_chart(spec=charts.drift_tests(tests if not tests.is_empty() else events, changes), width="stretch")
summary = overall if not overall.is_empty() else events
cols = [c for c in ("window_id", "window_start", "window_end", "n", "drifted", "p_adjusted", "comparison", "details")
        if c in summary.columns]
st.dataframe(summary.select(cols).sort("window_end", descending=True), hide_index=True)

st.subheader("Topic clusters: reference against window")
with_clusters = [r for r in summary.iter_rows(named=True)
                 if clusters(r.get("clusters_gaining")) or clusters(r.get("clusters_losing"))]
if not with_clusters:
    st.info("No cluster shifts recorded in any window yet.")
    st.stop()
ids = [r["window_id"] for r in with_clusters]
chosen = st.selectbox("window", ids, index=len(ids) - 1)
row = with_clusters[ids.index(chosen)]
gaining, losing = clusters(row.get("clusters_gaining")), clusters(row.get("clusters_losing"))
shares = pl.DataFrame([{"label": f"{c['cluster']}: {c['label']}", "reference_share": c["reference_share"],
                        "window_share": c["window_share"]} for c in gaining + losing])
st.vega_lite_chart(spec=charts.cluster_shares(shares), width="stretch")

st.subheader("Examples from clusters that gain mass")
wanted = tuple(sorted({cid for c in gaining for cid in c.get("example_conversation_ids") or []}))
found = data.conversations(lake, version, wanted)
for c in gaining:
    st.markdown(f"**Cluster {int(c['cluster'])}** · +{float(c['delta']):.1%}")
    st.text(str(c["label"]))  # labels come from conversation text: shown as text
    examples = [i for i in c.get("example_conversation_ids") or [] if i in found][:3]
    if not examples:
        st.caption("no stored example conversation")
    for cid in examples:
        with st.expander(f"conversation {cid}"):
            show_html(conversation_html(found[cid]))
