"""The reviewer dashboard: a Streamlit multipage app over the lake (`dashboard/app.py`).

`sahaja dashboard` calls `dashboard.launch(lake_path, port, host)`, which runs
`streamlit run dashboard/app.py` headless. Settings come from the environment (`DashboardSettings`,
prefix SAHAJA_). Reads are polars lazy scans of the lake (`dashboard.lake`, `dashboard.measures`),
cached per lake change (`dashboard.data`); review verdicts and exports go through `feedback`.
Nothing here imports the worker (`sidecar`).
"""

from dashboard.launch import main as launch
from dashboard.settings import DashboardSettings

__all__ = ["DashboardSettings", "launch"]
