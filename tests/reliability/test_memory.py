"""A backlog of 100k small conversations: the worker's peak resident memory (VmHWM) stays under the
`rss_limit_mb` bound from its settings, and does not grow with the backlog (no unbounded queue)."""

import pytest

from benchmarks.soak import memory_scenario

CI_BACKLOG = 100_000
RSS_LIMIT_MB = 512
GROWTH_LIMIT_MB = 64  # RSS after the first quarter vs at the end: a leak per message would show here


@pytest.mark.timeout(300)
def test_backlog_of_100k_keeps_rss_under_the_configured_bound(settings_factory, tmp_path) -> None:
    settings = settings_factory(batch_max_size=1000, rss_limit_mb=RSS_LIMIT_MB)
    result = memory_scenario(settings, CI_BACKLOG, tmp_path / "logs")

    assert result.lake_rows == CI_BACKLOG
    assert result.peak_rss_mb < RSS_LIMIT_MB, f"peak RSS {result.peak_rss_mb} MiB"
    busy = [(mb, scored) for _, mb, scored in result.samples if scored > 0]
    quarter = next(mb for mb, scored in busy if scored >= CI_BACKLOG // 4)
    assert max(mb for mb, _ in busy) - quarter < GROWTH_LIMIT_MB, busy
    print(f"{CI_BACKLOG} conversations in {result.seconds} s ({result.per_second}/s); "
          f"peak RSS {result.peak_rss_mb} MiB (bound {RSS_LIMIT_MB} MiB)")
