"""A real S3-compatible server (moto's) on a free loopback port, and the AWS environment that points
clients at it. Shared by the object-store lake tests and the stalled-sink reliability test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def moto_s3() -> Iterator[tuple[str, int]]:
    """Start the server; yields (host, port). Skips the test when moto[server] is not installed."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield server.get_host_and_port()
    finally:
        server.stop()


def point_aws_at(env: pytest.MonkeyPatch, endpoint: str) -> None:
    """Test credentials and `endpoint` for every S3 client of this process and its children."""
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_REGION", "us-east-1")
    env.setenv("AWS_ENDPOINT_URL", endpoint)
    env.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    env.delenv("AWS_PROFILE", raising=False)
