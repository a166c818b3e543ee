"""The dashboard's settings, read from the environment (prefix SAHAJA_), like the worker's.

Built once per browser session by `app.py` and kept in `st.session_state`; pages ask `current()`.
The password comes from a Kubernetes Secret in the chart (`SAHAJA_DASHBOARD_PASSWORD`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from feedback.lakefs import LakeLocation

SESSION_KEY = "sahaja_dashboard_settings"


class DashboardSettings(BaseSettings):
    """What the dashboard reads: where the lake is, who reviews, and the optional password."""

    model_config = SettingsConfigDict(env_prefix="SAHAJA_", frozen=True, extra="ignore")

    lake_path: LakeLocation = Field(
        default=Path("./sahaja-lake"),
        description="root of the Parquet lake: a folder, or an object-store URL (`s3://bucket/prefix`, `gs://`, "
        "`az://`; credentials and `AWS_ENDPOINT_URL` from the environment)",
    )
    dashboard_password: SecretStr | None = Field(
        default=None, description="password or token the dashboard asks for; unset: no login (secret)"
    )
    reviewer: str = Field(default="reviewer", min_length=1, description="default reviewer id on review events")
    audit_seed: int = Field(default=0, description="seed of the random audit slice (keep it fixed)")
    audit_per_detector: int = Field(default=20, ge=1, description="audit items shown per detector")
    recall: dict[str, float] = Field(
        default_factory=dict,
        description='JSON {detector: measured recall} for the prevalence correction; missing: recall taken as 1',
    )

    @field_validator("dashboard_password", mode="after")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty Secret key must not become a password that an empty form field satisfies: no prompt.
        return value if value is not None and value.get_secret_value() else None


def current() -> DashboardSettings:
    """This session's settings (built from the environment on first use)."""
    import streamlit as st

    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = DashboardSettings()
    settings: DashboardSettings = st.session_state[SESSION_KEY]
    return settings
