"""Run `sahaja run` as a real subprocess, as Kubernetes would, and talk to it over HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time

import httpx

from sidecar.broker import free_port
from sidecar.settings import Settings
from tests.conftest import settings_env


class WorkerProcess:
    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.settings = settings.model_copy(update={"http_port": self.port})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        env = settings_env(self.settings)
        # A file, not a pipe: nobody reads the pipe while the test runs, and a full pipe blocks the worker.
        self.log = tempfile.NamedTemporaryFile(prefix="sahaja-worker-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "sidecar.cli", "run"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.stderr()
            try:
                if httpx.get(self.url("/readyz"), timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("worker never became ready")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def terminate(self, timeout_s: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout_s)

    def stderr(self) -> str:
        if self.proc is None:
            return ""
        with open(self.log.name, "rb") as fh:
            return fh.read().decode(errors="replace")[-3000:]
