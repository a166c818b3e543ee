"""Review queue: one candidate at a time, by priority or from the random audit slice.

Keyboard: Alt+N / Alt+P next and previous, Alt+A accept, Enter in the reason field rejects,
Ctrl+Enter in the chosen box saves an edit. Every verdict is a review event in the lake.
"""

import streamlit as st

from dashboard import data
from dashboard.queue import audit_queue, priority_queue
from dashboard.render import conversation_html, diff_html, show_html
from dashboard.settings import current
from feedback import FeedbackError, FeedbackLake

CURSOR, FLASH = "queue_cursor", "queue_flash"


def move(step: int) -> None:
    st.session_state[CURSOR] = st.session_state.get(CURSOR, 0) + step


def act(candidate_id: str, action: str, reviewer: str, chosen: str | None = None, reason: str = "") -> None:
    try:
        FeedbackLake(lake).review(candidate_id, action, reviewer, chosen=chosen, reason=reason)  # type: ignore[arg-type]
    except FeedbackError as exc:
        st.error(f"Not saved: {exc}")
        return
    st.session_state[FLASH] = f"{action} saved for {candidate_id}"
    st.rerun()


settings = current()
lake = str(settings.lake_path)
st.title("Review queue")
reviewer = st.sidebar.text_input("reviewer", value=settings.reviewer, key="reviewer").strip() or settings.reviewer
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
try:
    frame = data.candidates(lake, data.stamp(lake, data.FEEDBACK), settings.audit_seed)
except Exception as exc:  # noqa: BLE001 - a page shows the problem, never a traceback
    st.error(f"Cannot read the candidates of {lake}: {exc}")
    st.stop()

mode = st.radio("queue", ["Priority", "Audit slice"], horizontal=True, key="queue_mode",
                help="The audit slice is a seeded random sample per detector: review it to measure precision.")
detector = st.selectbox("detector", ["all", *sorted(set(frame["detector"].to_list()))], key="queue_detector")
queue = priority_queue(frame) if mode == "Priority" else audit_queue(frame, settings.audit_per_detector)
if detector != "all":
    queue = queue.filter(queue["detector"] == detector)
counts = frame["status"].value_counts() if not frame.is_empty() else None
st.caption("  ·  ".join(f"{s}: {n}" for s, n in counts.iter_rows()) if counts is not None else "no candidates")
if queue.is_empty():
    st.info("Nothing pending in this queue.")
    st.stop()

cursor = min(max(st.session_state.get(CURSOR, 0), 0), queue.height - 1)
st.session_state[CURSOR] = cursor
nav = st.columns([1.4, 1.4, 5])
nav[0].button("◀ Previous", on_click=move, args=(-1,), disabled=cursor == 0, shortcut="Alt+P")
nav[1].button("Next ▶", on_click=move, args=(1,), disabled=cursor >= queue.height - 1, shortcut="Alt+N")
row = queue.row(cursor, named=True)
nav[2].caption(f"item {cursor + 1} of {queue.height} · {row['detector']} · score {row['score']:.2f} "
               f"(threshold {row['threshold']:.2f}) · seen {row['duplicate_count']}× · model {row['model_version']} "
               f"· {row['candidate_id']}")

try:
    candidate, state = FeedbackLake(lake).get(row["candidate_id"])
except FeedbackError as exc:
    st.error(f"Cannot load {row['candidate_id']}: {exc}")
    st.stop()
messages = [m.model_dump() for m in [*candidate.prompt, *candidate.rejected]]
evidence = candidate.details.get("evidence", {}) or {}
spans = [(int(s["start"]), int(s["end"])) for s in evidence.get("spans") or evidence.get("wrapper_spans") or []]
pushback = evidence.get("pushback_turn")
flagged = len(messages) - 1
show_html(conversation_html(messages, {flagged: spans}, pushback if isinstance(pushback, int) else None, flagged))

rejected, chosen = candidate.rejected[0].content, state.chosen[0].content if state.chosen else None
st.subheader("Rejected against proposed chosen")
if chosen is None:
    st.info("No chosen answer proposed: write one (edit) or accept the turn as an unpaired example.")
else:
    show_html(diff_html(rejected, chosen))

cid = candidate.candidate_id
left, middle, right = st.columns(3)
with left.form(f"accept-{cid}"):
    st.caption("Accept: the flag is right (and the chosen, if any, is good).")
    if st.form_submit_button("Accept", type="primary", shortcut="Alt+A"):
        act(cid, "accept", reviewer)
with middle.form(f"reject-{cid}"):
    reason = st.text_input("reason", placeholder="why the flag is wrong (Enter rejects)")
    if st.form_submit_button("Reject"):
        if reason.strip():
            act(cid, "reject", reviewer, reason=reason.strip())
        else:
            st.error("A reject needs a reason.")
with right.form(f"edit-{cid}"):
    edited = st.text_area("chosen answer", value=chosen or rejected, height=150)
    if st.form_submit_button("Save edit and accept"):
        act(cid, "edit", reviewer, chosen=edited)
