"""Sahaja's reviewer dashboard: `streamlit run dashboard/app.py` (or `sahaja dashboard`).

Only declares the pages. An unauthenticated session (when a password is configured) gets the
sign-in page alone, so no page of data can be reached by its URL before signing in.
"""

import streamlit as st
from pydantic import ValidationError

from dashboard.auth import is_authenticated, login_page
from dashboard.settings import current

st.set_page_config(page_title="Sahaja", layout="wide")
try:
    settings = current()
except ValidationError as exc:
    st.error(f"Invalid dashboard settings (SAHAJA_* environment): {exc.error_count()} problem(s)\n{exc}")
    st.stop()

if is_authenticated(settings):
    pages = [
        st.Page("pages/overview.py", title="Overview", icon=":material/monitoring:", default=True),
        st.Page("pages/drift.py", title="Drift", icon=":material/trending_up:"),
        st.Page("pages/review.py", title="Review queue", icon=":material/rule:"),
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
    ]
else:
    pages = [st.Page(login_page, title="Sign in", icon=":material/lock:")]
st.navigation(pages).run()
