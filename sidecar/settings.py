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
    input_topic: str = "llm.conversations"
    labels_topic: str = Field(default="sahaja.labels", description="late correctness labels; empty: off")
    scores_topic: str = "sahaja.scores"
    dlq_topic: str = "sahaja.dlq"
    drift_topic: str = "sahaja.drift"
    candidates_topic: str = "sahaja.dpo-candidates"
    reviews_topic: str = "sahaja.reviews"
    batches_topic: str = "sahaja.feedback-batches"
    group_id: str = "sahaja"
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    session_timeout_ms: int = Field(default=30000, ge=1000)
    heartbeat_interval_ms: int = Field(default=3000, ge=100)
    max_poll_interval_ms: int = Field(default=300000, ge=1000)
    request_timeout_ms: int = Field(default=30000, ge=1000)
    reconnect_backoff_max_ms: int = Field(default=10000, ge=50)
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: str | None = Field(default=None, description="PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    # Batching and limits
    batch_max_size: int = Field(default=256, ge=1, le=100_000)
    batch_max_wait_ms: int = Field(default=500, ge=1)
    max_message_bytes: int = Field(default=1 << 20, ge=1024)
    max_messages: int = Field(default=200, ge=1)
    rss_limit_mb: int = Field(default=4096, ge=128, description="pause consuming above this resident memory")
    sink_retry_backoff_ms: int = Field(default=1000, ge=10)
    sink_retry_backoff_max_ms: int = Field(default=30000, ge=10)

    # Lake
    lake_path: Path = Path("./sahaja-lake")
    store_conversations: bool = Field(default=True, description="write the conversation text to the lake")

    # Detectors and encoder
    model_cache_dir: Path = Field(default_factory=default_cache_dir)
    encoder_variant: EncoderVariant = "auto"
    provider: ProviderChoice = "auto"
    max_length: int = Field(default=256, ge=8, le=512)
    token_budget: int = Field(default=16384, ge=256)
    intra_op_threads: int = Field(default=0, ge=0)
    thresholds_file: Path | None = None
    detectors: tuple[str, ...] = DEFAULT_DETECTORS

    # Drift
    drift_reference: Path | None = Field(default=None, description="reference profile folder")
    drift_window_size: int = Field(default=2000, ge=50)
    drift_window_seconds: int = Field(default=0, ge=0, description="0: windows by count only")
    drift_alpha: float = Field(default=0.01, gt=0, lt=1)

    # HTTP
    http_host: str = "0.0.0.0"  # noqa: S104 - a container's server listens on all interfaces
    http_port: int = Field(default=8080, ge=0, le=65535)
    api_token: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    def detector_config(self) -> DetectorConfig:
        return DetectorConfig(
            model_cache_dir=self.model_cache_dir,
            encoder_variant=self.encoder_variant,
            provider=self.provider,
            max_length=self.max_length,
            token_budget=self.token_budget,
            intra_op_threads=self.intra_op_threads,
            thresholds_file=self.thresholds_file,
            drift_reference=self.drift_reference,
            enabled=self.detectors,
        )

    def kafka_client_options(self) -> dict[str, object]:
        """Options shared by every kafka-python client: connection, security, backoff."""
        opts: dict[str, object] = {
            "bootstrap_servers": (self.kafka_bootstrap_servers or "").split(","),
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
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
