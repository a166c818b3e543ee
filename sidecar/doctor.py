"""`sahaja doctor`: what this installation would run on, checked rather than assumed."""

from __future__ import annotations

import platform
import socket
from importlib import metadata
from typing import Any

from sidecar import kafka_backoff
from sidecar.settings import Settings

PACKAGES = (
    "sahaja",
    "onnxruntime-gpu",
    "onnxruntime",
    "kafka-python",
    "tokenizers",
    "polars",
    "fastapi",
    "scikit-learn",
)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def broker_reachable(bootstrap: str | None, timeout_s: float = 2.0) -> dict[str, str]:
    if not bootstrap:
        return {"status": "not configured (SAHAJA_KAFKA_BOOTSTRAP_SERVERS)"}
    out = {}
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s):
                out[server] = "reachable"
        except (OSError, ValueError) as exc:
            out[server] = f"unreachable: {exc}"
    return out


def lake_report(settings: Settings) -> dict[str, str]:
    """Where the lake is and whether its root answers (a listing; nothing is written)."""
    from feedback.lakefs import LakeFS

    try:
        fs = LakeFS.from_location(settings.lake_path, settings.lake_timeouts())
        problem = fs.root_problem()
        tables = [] if problem else fs.list_folders()
    except Exception as exc:  # noqa: BLE001 - doctor reports, it does not fail
        return {"location": str(settings.lake_path), "status": f"{type(exc).__name__}: {exc}"[:300]}
    kind = "local folder" if fs.is_local else "object store"
    if problem:
        return {"location": str(fs.location), "kind": kind, "status": problem}
    return {"location": str(fs.location), "kind": kind, "tables": ", ".join(sorted(tables)) or "none yet"}


def doctor_report(settings: Settings) -> dict[str, Any]:
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "broker": broker_reachable(settings.kafka_bootstrap_servers),
        "kafka_backoff_fix": "active" if kafka_backoff.install() else "not needed for this kafka-python",
        "lake": lake_report(settings),
    }
    try:
        from detectors.encoder import encoder_info

        report["encoder"] = encoder_info(settings.detector_config())
    except ImportError:
        report["encoder"] = {"status": "encoder runtime not installed"}
    except Exception as exc:  # noqa: BLE001 - doctor reports, it does not fail
        report["encoder"] = {"status": f"{type(exc).__name__}: {exc}"}
    return report
