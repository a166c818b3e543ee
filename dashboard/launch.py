"""`sahaja dashboard`: start the Streamlit app on a lake, headless, and wait for it to exit.

Streamlit is started as a child process (`python -m streamlit run dashboard/app.py`) rather than
in-process, so its signal handling and event loop stay its own; the lake path reaches the app
through SAHAJA_LAKE_PATH, which `DashboardSettings` reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from feedback.lakefs import parse_location

APP = Path(__file__).with_name("app.py")


def command(port: int | None = None, host: str | None = None) -> list[str]:
    """The streamlit command line: headless, no usage statistics, no file watcher in production.

    A port or host left as None is not passed, so Streamlit's own STREAMLIT_SERVER_PORT and
    STREAMLIT_SERVER_ADDRESS (what the Helm chart sets) apply, else its defaults (8501, all interfaces).
    """
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip
    if port is not None:
        cmd += ["--server.port", str(port)]
    if host is not None:
        cmd += ["--server.address", host]
    return cmd


def main(lake_path: Path | str, port: int | None = None, host: str | None = None) -> int:
    """Run the dashboard until it exits or is interrupted; returns its exit code (0 on Ctrl-C)."""
    lake_path = parse_location(lake_path)  # a folder, or an object-store URL (whole again if it went through Path)
    env = {**os.environ, "SAHAJA_LAKE_PATH": str(lake_path)}
    shown_host = host or os.environ.get("STREAMLIT_SERVER_ADDRESS", "all interfaces")
    shown_port = port or os.environ.get("STREAMLIT_SERVER_PORT", "8501")
    print(f"dashboard on {shown_host} port {shown_port} (lake {lake_path})", flush=True)
    process = subprocess.Popen(command(port, host), env=env)
    if threading.current_thread() is threading.main_thread():
        # A container stops us with SIGTERM: pass it on so Streamlit shuts down with us.
        signal.signal(signal.SIGTERM, lambda _signum, _frame: process.terminate())
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)
        return 0
