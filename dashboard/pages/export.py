"""Export: build a feedback batch of accepted candidates, show its manifest, download it as a zip."""

import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime, time
from pathlib import Path

import streamlit as st

from dashboard import data
from dashboard.settings import current
from feedback import FeedbackError, FeedbackLake, verify_batch
from feedback.lakefs import LakeFS

LAST_KEY = "sahaja_last_batch"


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    return buffer.getvalue()


def at_midnight(day: object) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)  # type: ignore[arg-type]


settings = current()
lake = settings.lake_path
fs = LakeFS.from_location(lake)
batches = fs.url("batches")
st.title("Export a feedback batch")
try:
    frame = data.candidates(str(lake), data.stamp(lake, data.FEEDBACK), settings.audit_seed)
except Exception as exc:  # noqa: BLE001 - a page shows the problem, never a traceback
    st.error(f"Cannot read the candidates of {lake}: {exc}")
    st.stop()
n_accepted = frame.filter(frame["status"] == "accepted").height if not frame.is_empty() else 0
st.caption(f"{n_accepted} accepted candidates in the lake. Batches are written under {batches}.")

with st.form("export"):
    left, right = st.columns(2)
    since = left.date_input("decided on or after (UTC)", value=None)
    until = right.date_input("decided before (UTC)", value=None)
    split = left.number_input("eval share (0: no eval split)", min_value=0.0, max_value=0.9, value=0.0, step=0.05)
    seed = right.number_input("split seed", min_value=0, value=0, step=1)
    build = st.form_submit_button("Build batch", type="primary")
if build:
    out = fs.url("batches", f"batch-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}")
    try:
        manifest = FeedbackLake(lake).export(
            out, since=at_midnight(since), until=at_midnight(until), split_eval=split or None, seed=int(seed)
        )
    except (FeedbackError, ValueError, OSError) as exc:
        st.error(f"No batch written: {exc}")
    else:
        st.session_state[LAST_KEY] = str(out)
        st.success(f"Batch {manifest.batch_id} written to {out}")

names = sorted(
    (name for name in fs.list_folders("batches")
     if name.startswith("batch-") and "manifest.json" in fs.list_names("batches", name)),
    reverse=True,
)
if not names:
    st.info("No batch built yet.")
    st.stop()
last = str(st.session_state.get(LAST_KEY, names[0])).rstrip("/").rsplit("/", 1)[-1]
pick = st.selectbox("batch", names, index=names.index(last) if last in names else 0)
if fs.is_local:
    folder = Path(fs.url("batches", pick))
else:  # verified from a local copy (batches never change once their manifest is written)
    folder = Path(tempfile.gettempdir()) / "sahaja-batches" / pick
    if not (folder / "manifest.json").is_file():
        fs.download(folder, "batches", pick)
try:
    manifest = verify_batch(folder)
except (FeedbackError, ValueError, OSError) as exc:
    st.error(f"{pick} does not verify: {exc}")
    st.stop()
st.subheader(f"Manifest of {manifest.batch_id}")
counts = st.columns(5)
for column, key in zip(counts, ("candidates", "pairs", "unpaired", "train", "eval"), strict=True):
    column.metric(key, manifest.counts.get(key, 0))
st.caption("files: " + ", ".join(sorted(manifest.files)))
with st.expander("full manifest"):
    st.json(json.loads(manifest.model_dump_json()))
st.download_button("Download batch (.zip)", zipped(folder), file_name=f"{pick}.zip", mime="application/zip",
                   type="primary")
