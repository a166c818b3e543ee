"""A real Azure Blob emulator (Azurite, from npm) on a free loopback port, and the environment that
points the lake's Azure clients at it.

Azurite is a Node program: the first use installs it with npm into the user cache (about 15 s, then
reused); without `npm`, or when that fails, the Azure tests are skipped, never faked."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

AZURITE_VERSION = "3"
ACCOUNT = "devstoreaccount1"  # Azurite's well-known development account and key (public, not a secret)
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
TOOLS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sahaja" / "test-tools"


def azurite_bin() -> Path | None:
    """The `azurite-blob` launcher: on PATH, in the cache, or freshly installed there (None: not available)."""
    on_path = shutil.which("azurite-blob")
    if on_path:
        return Path(on_path)
    prefix = TOOLS / f"azurite-{AZURITE_VERSION}"
    launcher = prefix / "node_modules" / ".bin" / "azurite-blob"
    if launcher.exists():
        return launcher
    npm = shutil.which("npm")
    if npm is None:
        return None
    prefix.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--fetch-retries=1", "--fetch-timeout=30000",
             "--prefix", str(prefix), f"azurite@{AZURITE_VERSION}"],
            capture_output=True, timeout=180, check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return launcher if done.returncode == 0 and launcher.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def azurite() -> Iterator[str]:
    """Start Azurite's blob service in memory; yields its endpoint URL (with the account path)."""
    launcher = azurite_bin()
    if launcher is None:
        pytest.skip("Azurite is not available (no npm, or the install failed)")
    port = _free_port()
    process = subprocess.Popen(
        [str(launcher), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
         "--disableTelemetry", "--silent", "--skipApiVersionCheck", "--loose"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.skip("Azurite did not start")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/{ACCOUNT}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def point_azure_at(env: pytest.MonkeyPatch, endpoint: str) -> None:
    env.setenv("AZURE_STORAGE_ACCOUNT_NAME", ACCOUNT)
    env.setenv("AZURE_STORAGE_ACCOUNT_KEY", KEY)
    env.setenv("AZURE_STORAGE_ENDPOINT", endpoint)
