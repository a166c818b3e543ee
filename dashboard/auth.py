"""The login gate: when a password (or token) is configured the app asks for it once per session.

The comparison is constant-time (`hmac.compare_digest`) so response timing does not leak a prefix.
"""

from __future__ import annotations

import hmac

import streamlit as st

from dashboard.settings import DashboardSettings

AUTH_KEY = "sahaja_authenticated"


def password_matches(given: str, settings: DashboardSettings) -> bool:
    """True when no password is configured or `given` equals it (constant-time)."""
    if settings.dashboard_password is None:
        return True
    expected = settings.dashboard_password.get_secret_value().encode()
    return hmac.compare_digest(given.encode(), expected)


def is_authenticated(settings: DashboardSettings) -> bool:
    return settings.dashboard_password is None or bool(st.session_state.get(AUTH_KEY))


def login_page() -> None:
    """The only page an unauthenticated session can reach."""
    from dashboard.settings import current

    settings = current()
    st.title("Sahaja dashboard")
    with st.form("login"):
        given = st.text_input("Password or token", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if password_matches(given, settings):
            st.session_state[AUTH_KEY] = True
            st.rerun()
        else:
            st.error("Wrong password or token.")
