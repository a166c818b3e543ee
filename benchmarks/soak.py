"""`sahaja bench soak`: kill -9 the real worker many times mid-stream, then push a large backlog
through it, and report what survived: messages lost, duplicated, dead-lettered, and peak memory.

The CI suite (tests/reliability) calls the same scenarios with small sizes; this entry point runs
them long and writes the figures to benchmarks/results/reliability.{json,md} and the resident
memory over time to reliability_rss.{csv,png}. Everything runs against the embedded broker and
`sahaja run` as a subprocess, so a kill is a real SIGKILL of the process that holds the batch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from kafka import KafkaConsumer, KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from sidecar.broker import EmbeddedBroker, create_topics, free_port
from sidecar.settings import Settings

RESULTS = Path(__file__).parent / "results"
SIMPLE_POISON = (b"{broken", b"\xc3\x28", b"[]", b'{"conversation_id": "p", "messages": []}', b"null")


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a `sahaja run` subprocess needs to rebuild these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHAJA_")}
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"SAHAJA_{name.upper()}"] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    for secret in ("api_token", "sasl_password"):
        if getattr(settings, secret) is not None:
            env[f"SAHAJA_{secret.upper()}"] = getattr(settings, secret).get_secret_value()
    return env


class WorkerRun:
    """`sahaja run` as a subprocess (stderr to a file, so a chatty worker never blocks on a pipe)."""

    started: list[WorkerRun] = []  # every run of this process, so that a failed test can reap its workers

    @classmethod
    def kill_all(cls) -> None:
        while cls.started:
            run = cls.started.pop()
            if run.alive:
                run.kill9()

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.port = free_port()
        self.settings = settings.model_copy(update={"http_port": self.port, "http_host": "127.0.0.1"})
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerRun:
        # Topics the worker's extensions write to. Left to auto-creation, the first send to one
        # waits out a whole request timeout (30 s) for its leader, which no test should measure.
        s = self.settings
        create_topics(s.kafka_bootstrap_servers or "", [s.candidates_topic, s.drift_topic, s.reviews_topic,
                                                        s.batches_topic])
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "sidecar.cli", "run"], env=settings_env(self.settings),
                                         stdout=subprocess.DEVNULL, stderr=log)
        WorkerRun.started.append(self)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> httpx.Response | None:
        try:
            return httpx.get(self.url(path), timeout=2)
        except httpx.HTTPError:
            return None

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"worker exited early: {self.log_tail()}")
            response = self.get("/readyz")
            if response is not None and response.status_code == 200:
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker never became ready: {self.log_tail()}")

    def metrics(self) -> dict[str, float]:
        """Prometheus samples as {'name{label="v"}': value} (empty when the worker does not answer)."""
        response = self.get("/metrics")
        out: dict[str, float] = {}
        if response is None or response.status_code != 200:
            return out
        for family in text_string_to_metric_families(response.text):
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
        return out

    def memory_kb(self, field_name: str = "VmRSS") -> int:
        """A field of /proc/PID/status (VmRSS now, VmHWM the peak so far), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
        raise KeyError(field_name)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def terminate(self, timeout_s: float = 60.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout_s)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def conversation_bytes(i: int) -> bytes:
    return json.dumps({
        "conversation_id": f"conv-{i:07d}",
        "messages": [{"role": "user", "content": f"What is {i} times seven?"},
                     {"role": "assistant", "content": f"As an AI, I can say it is {i * 7}." if i % 5 == 0
                      else f"It is {i * 7}."}],
        "model": "soak-model",
    }).encode()


@dataclass
class Stream:
    """A stream of values with the truth about it: which ids must reach the lake, which offsets the DLQ."""

    values: list[bytes | None] = field(default_factory=list)
    valid_ids: set[str] = field(default_factory=set)
    poison_offsets: set[int] = field(default_factory=set)


def build_stream(n: int, poison: Sequence[tuple[bytes | None, str | None]], seed: int = 0) -> Stream:
    """`n` valid conversations with `poison` (value, id-if-it-must-be-scored) spread at random places."""
    rng = random.Random(seed)
    slots = sorted(rng.sample(range(n + len(poison)), len(poison)))
    stream, items, i = Stream(), iter(poison), 0
    for offset in range(n + len(poison)):
        if slots and offset == slots[0]:
            slots.pop(0)
            value, scored_id = next(items)
            stream.values.append(value)
            if scored_id is None:
                stream.poison_offsets.add(offset)
            else:
                stream.valid_ids.add(scored_id)
        else:
            stream.values.append(conversation_bytes(i))
            stream.valid_ids.add(f"conv-{i:07d}")
            i += 1
    return stream


def produce(bootstrap: str, topic: str, values: Sequence[bytes | None]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=50, batch_size=512 << 10,
                             max_request_size=64 << 20)
    for value in values:
        producer.send(topic, key=b"tombstone" if value is None else None, value=value)  # a null value needs a key
    producer.flush()
    producer.close()


def dead_letter_offsets(bootstrap: str, topic: str, expected: int, timeout_s: float = 60.0) -> list[int]:
    """Source offsets named by the dead letters of a DLQ topic (a replayed batch may repeat some)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None,
                             enable_auto_commit=False, fetch_max_bytes=64 << 20, max_partition_fetch_bytes=64 << 20)
    offsets: list[int] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(set(offsets)) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                offsets.extend(int(dict(r.headers)["sahaja.source.offset"]) for r in records)
        # One more poll picks up redeliveries that arrived behind the last expected one.
        for records in consumer.poll(timeout_ms=1000).values():
            offsets.extend(int(dict(r.headers)["sahaja.source.offset"]) for r in records)
    finally:
        consumer.close()
    return offsets


def lake_scores(lake: Path) -> pl.DataFrame:
    if not any((lake / "scores").rglob("*.parquet")):
        return pl.DataFrame(schema={"conversation_id": pl.String, "turn": pl.Int32, "detector": pl.String})
    return pl.scan_parquet(str(lake / "scores" / "**" / "*.parquet"), hive_partitioning=False).select(
        "conversation_id", "turn", "detector").collect()


@dataclass
class CrashResult:
    messages: int
    valid: int
    poison: int
    kills: int
    kills_mid_stream: int
    lost: int
    duplicated_rows: int
    dlq_missing: int
    dlq_unexpected: int
    dlq_redelivered: int
    seconds: float


def crash_scenario(settings: Settings, stream: Stream, kills: int, work_dir: Path, seed: int = 0,
                   max_delay_s: float = 1.5) -> CrashResult:
    """Produce the stream, SIGKILL `kills` workers at random moments after each made progress, then drain."""
    rng, started = random.Random(seed), time.monotonic()
    bootstrap = settings.kafka_bootstrap_servers or ""
    produce(bootstrap, settings.input_topic, stream.values)
    mid_stream = 0
    for k in range(kills):
        worker = WorkerRun(settings, work_dir / f"worker-{k}.log").start()
        before = lake_scores(settings.lake_path)["conversation_id"].n_unique()
        deadline = time.monotonic() + 120
        while lake_scores(settings.lake_path)["conversation_id"].n_unique() <= before and time.monotonic() < deadline:
            if before >= len(stream.valid_ids) or not worker.alive:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0, max_delay_s))
        done = lake_scores(settings.lake_path)["conversation_id"].n_unique() >= len(stream.valid_ids)
        mid_stream += 0 if done else 1
        worker.kill9()
    final = WorkerRun(settings, work_dir / "worker-final.log").start()
    deadline = time.monotonic() + 600
    while lake_scores(settings.lake_path)["conversation_id"].n_unique() < len(stream.valid_ids):
        if time.monotonic() > deadline or not final.alive:
            raise RuntimeError(f"the final worker did not drain the stream: {final.log_tail()}")
        time.sleep(0.2)
    final.terminate()
    scores = lake_scores(settings.lake_path)
    dead = dead_letter_offsets(bootstrap, settings.dlq_topic, len(stream.poison_offsets))
    return CrashResult(
        messages=len(stream.values), valid=len(stream.valid_ids), poison=len(stream.poison_offsets), kills=kills,
        kills_mid_stream=mid_stream,
        lost=len(stream.valid_ids - set(scores["conversation_id"])),
        duplicated_rows=scores.height - scores.unique().height,
        dlq_missing=len(stream.poison_offsets - set(dead)), dlq_unexpected=len(set(dead) - stream.poison_offsets),
        dlq_redelivered=len(dead) - len(set(dead)), seconds=round(time.monotonic() - started, 1),
    )


@dataclass
class MemoryResult:
    conversations: int
    rss_limit_mb: int
    peak_rss_mb: float
    seconds: float
    per_second: float
    lake_rows: int
    samples: list[tuple[float, float, int]]  # (seconds, VmRSS MiB, conversations scored)


def memory_scenario(settings: Settings, n: int, work_dir: Path, every_s: float = 0.5) -> MemoryResult:
    """A backlog of `n` small conversations: sample the worker's RSS until all are scored."""
    produce(settings.kafka_bootstrap_servers or "", settings.input_topic, [conversation_bytes(i) for i in range(n)])
    worker = WorkerRun(settings, work_dir / "worker-memory.log").start()
    started, samples, scored = time.monotonic(), [], 0
    while scored < n:
        if not worker.alive or time.monotonic() - started > 3600:
            raise RuntimeError(f"memory run stopped at {scored}/{n}: {worker.log_tail()}")
        scored = int(worker.metrics().get("sahaja_messages_scored_total", scored))
        samples.append((round(time.monotonic() - started, 2), worker.memory_kb("VmRSS") / 1024, scored))
        time.sleep(every_s)
    peak_mb = worker.memory_kb("VmHWM") / 1024
    seconds = time.monotonic() - started
    worker.terminate()
    return MemoryResult(n, settings.rss_limit_mb, round(peak_mb, 1), round(seconds, 1), round(n / seconds, 1),
                        lake_scores(settings.lake_path).height, samples)


@dataclass
class FaultResult:
    messages: int
    connection_drops: int
    outages: int
    outage_seconds: float
    readiness_off_during_outage: bool
    worker_exits: int
    lost: int
    duplicated_rows: int
    seconds: float
    half_up_seconds: float = 0.0
    reconnects_per_s_half_up: float = 0.0


def fault_scenario(n: int, drops: int, outage_s: float, work_dir: Path, batch: int = 64) -> FaultResult | None:
    """A broker behind a proxy: cut every connection each time the worker made progress (`drops`
    times), and once, halfway, take the broker away for `outage_s`, then let it answer TCP but drop
    every connection for `outage_s / 2` (a half-up broker: counts reconnects/s). Needs the test
    package's proxy."""
    try:
        from tests.reliability.brokers import ProxiedBroker
    except ImportError:
        return None
    started = time.monotonic()
    with ProxiedBroker() as broker:
        settings = Settings(kafka_bootstrap_servers=broker.bootstrap, input_topic="in", labels_topic="",
                            scores_topic="scores", dlq_topic="dlq", group_id="faults",
                            lake_path=work_dir / "fault-lake",
                            batch_max_size=batch, batch_max_wait_ms=100, session_timeout_ms=6000,
                            heartbeat_interval_ms=500, request_timeout_ms=5000, reconnect_backoff_max_ms=1000,
                            detectors=("wrapper_lexicon",), log_level="WARNING")
        create_topics(broker.bootstrap, ["in", "scores", "dlq"])
        produce(broker.bootstrap, "in", [conversation_bytes(i) for i in range(n)])
        worker = WorkerRun(settings, work_dir / "worker-faults.log").start()
        worker.wait_ready()
        done_drops, last, outages, unready = 0, 0, 0, False
        half_up_s = reconnect_rate = 0.0
        while (done := lake_scores(settings.lake_path)["conversation_id"].n_unique()) < n:
            if not worker.alive or time.monotonic() - started > 1800:
                raise RuntimeError(f"fault run stopped at {done}/{n}: {worker.log_tail()}")
            if outages == 0 and done >= n // 2:
                broker.proxy.stop()
                outage_started = time.monotonic()
                while time.monotonic() - outage_started < outage_s:
                    response = worker.get("/readyz")
                    unready |= response is not None and response.status_code == 503
                    time.sleep(0.5)
                broker.proxy.refusing = True  # half up: accept, then close at once
                broker.proxy.start()
                refused_before, half_up_started = broker.proxy.refused, time.monotonic()
                time.sleep(outage_s / 2)
                half_up_s = time.monotonic() - half_up_started
                reconnect_rate = (broker.proxy.refused - refused_before) / half_up_s
                broker.proxy.refusing = False
                outages = 1
            elif done > last and done_drops < drops and broker.proxy.drop_connections():
                done_drops, last = done_drops + 1, done
            time.sleep(0.2)
        exits = 0 if worker.alive else 1
        worker.terminate()
        scores = lake_scores(settings.lake_path)
    return FaultResult(n, done_drops, outages, outage_s, unready, exits, n - scores["conversation_id"].n_unique(),
                       scores.height - scores.unique().height, round(time.monotonic() - started, 1),
                       round(half_up_s, 1), round(reconnect_rate, 2))


def rss_growth(samples: Sequence[tuple[float, float, int]]) -> float:
    """RSS at the end over RSS once a tenth of the backlog was scored: 1.0 means flat, no leak."""
    total = samples[-1][2]
    early = next(mb for _, mb, scored in samples if scored >= total / 10)
    return round(samples[-1][1] / early, 3)


def corpus_poison(settings: Settings) -> list[tuple[bytes | None, str | None]]:
    """The hostile corpus of the CI suite when run from a checkout, else a few simple poison values."""
    try:
        from tests.reliability.poison_corpus import SCORED, poison_corpus
    except ImportError:
        return [(value, None) for value in SIMPLE_POISON]
    return [(p.value, p.conversation_id if p.expect == SCORED else None)
            for p in poison_corpus(settings.max_message_bytes, settings.max_messages)]


def plot_rss(result: MemoryResult, out: Path) -> Path:
    """RSS over time as CSV, and as a PNG when matplotlib is installed."""
    csv = out / "reliability_rss.csv"
    csv.write_text("seconds,rss_mib,scored\n" + "".join(f"{t},{m:.1f},{s}\n" for t, m, s in result.samples))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return csv
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot([t for t, _, _ in result.samples], [m for _, m, _ in result.samples], label="worker RSS (MiB)")
    ax.axhline(result.rss_limit_mb, color="red", linestyle="--", label=f"rss_limit_mb = {result.rss_limit_mb}")
    progress = ax.twinx()
    progress.plot([t for t, _, _ in result.samples], [n for _, _, n in result.samples], color="gray", linewidth=0.8)
    progress.set_ylabel("conversations scored (gray)")
    ax.set_xlabel("seconds")
    ax.set_ylabel("MiB")
    ax.set_title(f"Resident memory while scoring a backlog of {result.conversations:,} conversations")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "reliability_rss.png", dpi=110)
    plt.close(fig)
    return out / "reliability_rss.png"


def write_report(figures: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "reliability.json").write_text(json.dumps(figures, indent=2) + "\n")
    crash, memory, faults, corpus = figures["crashes"], figures["memory"], figures["faults"], figures["poison"]
    lines = [
        "# Reliability soak", "",
        f"Measured {figures['date']} on {figures['hardware']}; command: `{figures['command']}`; "
        f"detectors: {', '.join(figures['detectors'])}.", "",
        "| figure | value |", "|---|---|",
        f"| hostile inputs in the stream | {corpus['inputs']} ({corpus['dead_letter']} must be dead-lettered, "
        f"{corpus['scored_safely']} scored as inert text) |",
        f"| stream | {crash['messages']:,} messages ({crash['valid']:,} valid) |",
        f"| kill -9 during the stream | {crash['kills']} ({crash['kills_mid_stream']} before the stream was done) |",
        f"| messages lost / duplicated lake rows | {crash['lost']} / {crash['duplicated_rows']} |",
        f"| poison missing from / unexpected in the DLQ | {crash['dlq_missing']} / {crash['dlq_unexpected']} |",
        f"| DLQ redeliveries (topic sinks are at-least-once) | {crash['dlq_redelivered']} |",
    ]
    if faults:
        lines += [
            f"| connection drops mid-stream / broker outages | {faults['connection_drops']} / {faults['outages']} "
            f"of {faults['outage_seconds']} s ({faults['messages']:,} messages) |",
            f"| readiness off during the outage / worker exits | {faults['readiness_off_during_outage']} / "
            f"{faults['worker_exits']} |",
            f"| messages lost / duplicated after faults | {faults['lost']} / {faults['duplicated_rows']} |",
            f"| reconnect attempts/s while the broker was half up ({faults['half_up_seconds']} s; "
            f"`reconnect_backoff_max_ms` 1000) | {faults['reconnects_per_s_half_up']} |",
        ]
    lines += [
        f"| memory backlog | {memory['conversations']:,} conversations, {memory['per_second']:,} / s |",
        f"| peak RSS (VmHWM) vs bound `rss_limit_mb` | {memory['peak_rss_mb']} MiB vs {memory['rss_limit_mb']} MiB "
        f"(ratio {memory['peak_rss_mb'] / memory['rss_limit_mb']:.2f}) |",
        f"| RSS at the end / RSS at 10% of the backlog | {memory['rss_end_over_rss_at_10pct']} |",
        "", "RSS over time: `reliability_rss.png` (data in `reliability_rss.csv`).", "",
        "Sizes are the command's flags; the full soak (`sahaja bench soak` with no flags) is 20 kills, a 50k "
        "stream, 20 connection drops and a 1M backlog. Lake rows are compared by (conversation_id, turn, "
        "detector); the DLQ by source offset. Kafka output topics are at-least-once by design (a batch "
        "replayed after a kill sends its scores and dead letters again); the lake is exactly-once.", "",
    ]
    (out / "reliability.md").write_text("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sahaja bench soak", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="kill -9 the worker this many times mid-stream")
    parser.add_argument("--stream", type=int, default=50_000, help="valid conversations in the crash stream")
    parser.add_argument("--memory", type=int, default=1_000_000, help="small conversations in the memory backlog")
    parser.add_argument("--drops", type=int, default=20, help="connection drops in the fault run (0: skip it)")
    parser.add_argument("--fault-stream", type=int, default=20_000, help="conversations in the fault run")
    parser.add_argument("--outage-s", type=float, default=15.0, help="length of the broker outage")
    parser.add_argument("--rss-limit-mb", type=int, default=1024, help="the worker's rss_limit_mb bound")
    parser.add_argument("--batch", type=int, default=256, help="batch_max_size of the worker")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sahaja-soak-"))
    with EmbeddedBroker() as broker:
        def settings_for(name: str) -> Settings:
            s = Settings(kafka_bootstrap_servers=broker.bootstrap, input_topic=f"{name}-in", labels_topic="",
                         scores_topic=f"{name}-scores", dlq_topic=f"{name}-dlq", group_id=f"{name}-g",
                         lake_path=work / f"{name}-lake", batch_max_size=args.batch, batch_max_wait_ms=100,
                         session_timeout_ms=6000, heartbeat_interval_ms=500, rss_limit_mb=args.rss_limit_mb,
                         detectors=("wrapper_lexicon",), log_level="WARNING")
            create_topics(broker.bootstrap, [s.input_topic, s.scores_topic, s.dlq_topic])
            return s

        crash_settings = settings_for("crash")
        poison = corpus_poison(crash_settings)
        stream = build_stream(args.stream, poison, seed=args.seed)
        try:
            crash = crash_scenario(crash_settings, stream, args.kills, work, seed=args.seed)
            print(json.dumps(asdict(crash)), flush=True)
            faults = fault_scenario(args.fault_stream, args.drops, args.outage_s, work) if args.drops else None
            print(json.dumps(asdict(faults) if faults else None), flush=True)
            memory = memory_scenario(settings_for("memory"), args.memory, work)
        finally:
            WorkerRun.kill_all()
    figures = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "hardware": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": "sahaja bench soak " + " ".join(argv if argv is not None else sys.argv[1:]),
        "detectors": ["wrapper_lexicon"],
        "poison": {"inputs": len(poison), "dead_letter": sum(1 for _, scored in poison if scored is None),
                   "scored_safely": sum(1 for _, scored in poison if scored is not None)},
        "crashes": asdict(crash),
        "faults": asdict(faults) if faults else None,
        "memory": {k: v for k, v in asdict(memory).items() if k != "samples"}
        | {"rss_end_over_rss_at_10pct": rss_growth(memory.samples)},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    plot_rss(memory, args.out)
    write_report(figures, args.out)
    print(json.dumps(figures, indent=2))
    ok = crash.lost == 0 and crash.duplicated_rows == 0 and crash.dlq_missing == 0 and crash.dlq_unexpected == 0
    ok = ok and (faults is None or (faults.lost == 0 and faults.duplicated_rows == 0 and faults.worker_exits == 0))
    return 0 if ok and memory.peak_rss_mb < memory.rss_limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
