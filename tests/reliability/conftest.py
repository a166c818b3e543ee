"""Every worker subprocess a reliability test starts is killed when the test ends, pass or fail."""

from collections.abc import Iterator

import pytest

from benchmarks.soak import WorkerRun


@pytest.fixture(autouse=True)
def reap_workers() -> Iterator[None]:
    yield
    WorkerRun.kill_all()
