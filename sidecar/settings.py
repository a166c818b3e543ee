"""The one settings object of the worker and the CLI, read from the environment (prefix SAHAJA_).

Built once at the entry point and passed down; tests construct their own. Kubernetes secrets
mounted as files under `secrets_dir` override the environment for credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from detectors.config import DEFAULT_DETECTORS, DetectorConfig, EncoderVariant, ProviderChoice, default_cache_dir
from feedback.lakefs import LakeLocation, StoreTimeouts

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


class Settings(BaseSettings):
    """Every knob of Sahaja. Each field maps to `SAHAJA_<FIELD>` (upper case)."""

    model_config = SettingsConfigDict(
        env_prefix="SAHAJA_",
        env_nested_delimiter="__",
        secrets_dir=None,
        frozen=True,
        extra="ignore",
    )

    # Kafka
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="host:port[,host:port]; unset in `sahaja demo` starts an embedded broker"
    )
    input_topic: str = Field(
        default="llm.conversations", description="conversations to observe (one JSON conversation per message)"
    )
    labels_topic: str = Field(default="sahaja.labels", description="late correctness labels; empty: off")
    scores_topic: str = Field(
        default="sahaja.scores", description="score records, one message per (conversation, turn, detector)"
    )
    dlq_topic: str = Field(
        default="sahaja.dlq", description="invalid input: original bytes, reason and source position in headers"
    )
    drift_topic: str = Field(default="sahaja.drift", description="drift events, one per test per closed window")
    candidates_topic: str = Field(default="sahaja.dpo-candidates", description="candidate DPO pairs")
    reviews_topic: str = Field(default="sahaja.reviews", description="review events (accept, edit, reject)")
    batches_topic: str = Field(
        default="sahaja.feedback-batches", description="announcements of exported feedback batches"
    )
    create_topics: bool = Field(
        default=True,
        description="create missing output topics at start (a producer would otherwise stall on each unknown one)",
    )
    group_id: str = Field(default="sahaja", description="consumer group; replicas share partitions")
    auto_offset_reset: Literal["earliest", "latest"] = Field(default="earliest", description="where a new group starts")
    session_timeout_ms: int = Field(description="group session timeout", default=30000, ge=1000)
    heartbeat_interval_ms: int = Field(description="group heartbeat interval", default=3000, ge=100)
    max_poll_interval_ms: int = Field(
        description="longest gap between polls before the group evicts the worker", default=300000, ge=1000
    )
    request_timeout_ms: int = Field(
        description="Kafka request timeout; also the producer flush timeout", default=30000, ge=1000
    )
    reconnect_backoff_ms: int = Field(
        description="first reconnect delay per broker connection (a half-up broker is retried at this pace)",
        default=250,
        ge=10,
    )
    reconnect_backoff_max_ms: int = Field(description="upper bound of the reconnect backoff", default=10000, ge=50)
    security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
    )
    sasl_mechanism: str | None = Field(default=None, description="PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")
    sasl_username: str | None = Field(default=None, description="SASL user")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (secret)")
    ssl_cafile: Path | None = Field(default=None, description="CA bundle for TLS")
    ssl_certfile: Path | None = Field(default=None, description="client certificate for mTLS")
    ssl_keyfile: Path | None = Field(default=None, description="client key for mTLS")

    # Batching and limits
    batch_max_size: int = Field(description="records per scoring batch at most", default=256, ge=1, le=100_000)
    batch_max_wait_ms: int = Field(description="longest wait for a batch to fill", default=500, ge=1)
    max_message_bytes: int = Field(
        description="larger messages are dead-lettered as oversize", default=1 << 20, ge=1024
    )
    max_messages: int = Field(description="conversations with more messages are dead-lettered", default=200, ge=1)
    rss_limit_mb: int = Field(default=4096, ge=128, description="pause consuming above this resident memory")
    sink_retry_backoff_ms: int = Field(
        description="first retry delay after a failed sink write (offsets are not committed meanwhile)",
        default=1000,
        ge=10,
    )
    sink_retry_backoff_max_ms: int = Field(description="largest retry delay", default=30000, ge=10)
    rebalance_drain_s: float = Field(
        default=10.0, ge=0,
        description="on a rebalance, how long to wait for the batch being written before giving its partitions up "
        "(keep it well under the session timeout: heartbeats wait too)",
    )

    # Lake
    lake_path: LakeLocation = Field(
        default=Path("./sahaja-lake"),
        description="root of the Parquet lake: a folder, or an object-store URL (`s3://bucket/prefix`, `gs://`, "
        "`az://`; credentials and `AWS_ENDPOINT_URL` from the environment)",
    )
    store_conversations: bool = Field(default=True, description="write the conversation text to the lake")
    lake_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="object-store lake: seconds to open a connection before a write fails"
    )
    lake_request_timeout_s: float = Field(
        default=10.0, gt=0, description="object-store lake: seconds without a byte before a request fails (a stall)"
    )
    lake_attempts: int = Field(default=3, ge=1, le=10, description="object-store lake: tries per request")

    # Detectors and encoder
    model_cache_dir: Path = Field(
        description="where `sahaja model build` puts the encoder", default_factory=default_cache_dir
    )
    encoder_variant: EncoderVariant = Field(
        default="auto", description="auto (fp16 on CUDA, fp32 on CPU), fp32, fp16 or int8"
    )
    provider: ProviderChoice = Field(default="auto", description="auto (CUDA only if a test run works), cuda or cpu")
    max_length: int = Field(
        description="encoder window in tokens; longer texts are windowed, never cut", default=256, ge=8, le=512
    )
    token_budget: int = Field(description="padded tokens per encoder run", default=16384, ge=256)
    embedding_memo_size: int = Field(
        default=16384, ge=0,
        description="recent text embeddings reused, not re-embedded (snapshots, re-scoring); ~1.6 KiB each; 0: off",
    )
    intra_op_threads: int = Field(description="ONNX Runtime threads; 0: one per core", default=0, ge=0)
    thresholds_file: Path | None = Field(
        default=None, description="JSON {detector: threshold}; default: the packaged file"
    )
    detectors: tuple[str, ...] = Field(default=DEFAULT_DETECTORS, description="JSON list of enabled detectors")

    # Drift
    drift_reference: Path | None = Field(default=None, description="reference profile folder")
    drift_window_size: int = Field(description="conversations per drift window", default=2000, ge=50)
    drift_window_seconds: int = Field(default=0, ge=0, description="0: windows by count only")
    drift_alpha: float | None = Field(
        default=None, gt=0, lt=1,
        description="false-alarm rate per window after correction; unset: the reference's calibrated level",
    )

    # HTTP
    http_host: str = Field(default="0.0.0.0", description="HTTP listen address")  # noqa: S104 - a container's server listens on all interfaces
    http_port: int = Field(
        description="HTTP port (/healthz, /readyz, /metrics, /v1/score)", default=8080, ge=0, le=65535
    )
    api_token: SecretStr | None = Field(default=None, description="bearer token required on /v1/* when set (secret)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR"
    )
    log_format: Literal["json", "text"] = Field(default="json", description="json (one object per line) or text")

    def lake_timeouts(self) -> StoreTimeouts:
        return StoreTimeouts(self.lake_connect_timeout_s, self.lake_request_timeout_s, self.lake_attempts)

    def detector_config(self) -> DetectorConfig:
        return DetectorConfig(
            model_cache_dir=self.model_cache_dir,
            encoder_variant=self.encoder_variant,
            provider=self.provider,
            max_length=self.max_length,
            token_budget=self.token_budget,
            embedding_memo_size=self.embedding_memo_size,
            intra_op_threads=self.intra_op_threads,
            thresholds_file=self.thresholds_file,
            drift_reference=self.drift_reference,
            # A configured reference turns on the per-conversation `drift` novelty head, whose
            # embeddings the drift windows reuse.
            enabled=self.detectors + (("drift",) if self.drift_reference and "drift" not in self.detectors else ()),
        )

    def kafka_client_options(self) -> dict[str, object]:
        """Options shared by every kafka-python client: connection, security, backoff."""
        opts: dict[str, object] = {
            "bootstrap_servers": (self.kafka_bootstrap_servers or "").split(","),
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
            "reconnect_backoff_ms": self.reconnect_backoff_ms,
            "reconnect_backoff_max_ms": self.reconnect_backoff_max_ms,
        }
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            opts["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(self, key)
            if value is not None:
                opts[key] = str(value)
        return opts
