"""Settings, read once by the process entry points and passed down as values.

Every field can be set from the environment: `FARECHAIN_BATCHER__BLOCK_MAX_EVENTS=1000`.
`DATABASE_URL` and `REDIS_URL` are also read without the prefix, as most hosts set them.
Unset, the database is SQLite under `var_dir` and Redis is the embedded server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BatcherSettings(BaseModel):
    block_max_events: int = Field(default=1000, ge=1)
    block_max_wait_ms: int = Field(default=200, ge=1)
    # A pending event untouched this long belongs to a dead batcher and is taken over.
    reclaim_idle_ms: int = Field(default=30_000, ge=1)
    # Fault injection for the crash-safety tests: stop dead at this point of a block
    # (after touching `<var_dir>/paused`) so the test can kill the process there.
    pause_at: Literal["before-commit", "before-ack"] | None = None


class GateSettings(BaseModel):
    max_clock_skew_s: int = Field(default=300, ge=0)
    max_event_age_h: int = Field(default=72, ge=1)
    idempotency_ttl_h: int = Field(default=168, ge=1)
    # An entry still open this long is swept as an incomplete journey. It is longer than
    # the 180-minute paid-area limit so a late exit is priced as an overtime trip instead
    # of turning into two incomplete ones.
    journey_timeout_min: int = Field(default=240, ge=1)
    sweep_interval_s: float = Field(default=5.0, gt=0)
    # The key the edge seals each tap with and the batcher checks (gates/stream.py):
    # base64url of 32+ random bytes. Unset: <var_dir>/keys/stream.key, made on first use.
    # Every API process and the batcher need the same one.
    stream_mac_key: SecretStr | None = None


class RideCodeSettings(BaseModel):
    """Signed ride codes: how far a code's time may be from the scan, how long certificates last."""

    window_s: int = Field(default=60, ge=1)
    certificate_validity_days: int = Field(default=7, ge=1)
    # The longest certificate a gate accepts (demo phones start days back, see
    # ridecodes/demo.py); it also bounds what a leaked retired issuer key could mint.
    max_certificate_span_days: int = Field(default=14, ge=1)


class VerifySettings(BaseModel):
    """Public invoice verification: requests allowed per window, per invoice and per client."""

    per_invoice: int = Field(default=20, ge=1)
    per_client: int = Field(default=120, ge=1)
    window_s: int = Field(default=60, ge=1)


class LedgerSettings(BaseModel):
    origin: str = "farechain.example/ledger"
    key_file: Path | None = None  # default: <var_dir>/keys/ledger.key


class PaymentSettings(BaseModel):
    """Riders pay at trip end: the provider, the debt rules, the sandbox's knobs."""

    provider: Literal["sandbox"] = "sandbox"  # a real provider is one more Provider class
    webhook_secret: str = "whsec_farechain_sandbox"
    # Declined trips are tried again this many hours after the first decline; then
    # written off (the debt stays until paid). Default: 3 more attempts over 30 days.
    retry_after_h: list[float] = Field(default_factory=lambda: [24.0, 168.0, 720.0])
    # Arrears (debt left after a failed collection) from which the gate refuses entry.
    block_at_fen: int = Field(default=1_000, ge=1)
    # Most a worker round takes of each kind of work (charges, sends, webhooks). A round
    # takes what came since the last one, so the cap binds only when the worker is
    # behind: then larger rounds catch up faster (fewer statements per payment), at the
    # cost of a longer hold on the ledger's lock per round.
    batch: int = Field(default=2_000, ge=1)
    poll_interval_ms: int = Field(default=100, ge=1)
    # Ask the provider about an attempt no webhook has settled after this long. The
    # sandbox's webhooks come within latency + delay (under a second by default), so a
    # lost one (1 %) costs seconds, not the tap-out -> captured p99 of 5 s.
    query_after_s: float = Field(default=2.0, gt=0)
    # Where the sandbox sends webhooks; default: this system's own API.
    webhook_url: str | None = None
    sandbox_decline_rate: float = Field(default=0.02, ge=0, le=1)
    sandbox_latency_ms: int = Field(default=300, ge=0)
    sandbox_webhook_delay_ms: int = Field(default=500, ge=0)
    sandbox_duplicate_rate: float = Field(default=0.05, ge=0, le=1)
    sandbox_loss_rate: float = Field(default=0.01, ge=0, le=1)
    sandbox_down: bool = False
    # Notifications per webhook POST (1: one each, as Stripe sends them; more: batched,
    # as Adyen sends them), and payments the sandbox takes per `create_payments`.
    sandbox_webhook_batch: int = Field(default=200, ge=1)
    sandbox_max_batch: int = Field(default=500, ge=1)
    # Fault injection for the crash test: the worker stops dead after the provider took
    # a batch and before it is recorded (after touching `<var_dir>/payments-paused`).
    pause_after_send: bool = False


class OperatorsSettings(BaseModel):
    """The operators' back office: business days, settlement schedule, journal limits."""

    # The business day starts at this many minutes past local midnight (04:30).
    day_cut_min: int = Field(default=270, ge=0, lt=1440)
    settle_interval_s: float = Field(default=300.0, gt=0)
    # Wait this long after a day ends before settling it, for the last trips to land.
    settle_grace_min: int = Field(default=30, ge=0)
    reconcile_max_rows: int = Field(default=2_000_000, ge=1)
    reconcile_sort_rows: int = Field(default=50_000, ge=1)


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FARECHAIN_", env_nested_delimiter="__", extra="ignore"
    )

    var_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("FARECHAIN_DATABASE_URL", "DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("FARECHAIN_REDIS_URL", "REDIS_URL")
    )
    batcher: BatcherSettings = BatcherSettings()
    gates: GateSettings = GateSettings()
    ledger: LedgerSettings = LedgerSettings()
    verify: VerifySettings = VerifySettings()
    ride_codes: RideCodeSettings = RideCodeSettings()
    server: ServerSettings = ServerSettings()
    payments: PaymentSettings = PaymentSettings()
    operators: OperatorsSettings = OperatorsSettings()

    @property
    def database_url_or_default(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'farechain.sqlite3').resolve()}"

    @property
    def ledger_key_path(self) -> Path:
        return self.ledger.key_file or self.var_dir / "keys" / "ledger.key"

    @property
    def ledger_public_keys_path(self) -> Path:
        """Every log verifier key ever used, retired ones included, one per line."""
        return self.ledger_key_path.with_suffix(".pub")

    @property
    def witness_keys_path(self) -> Path:
        """The verifier keys of the witnesses whose cosignatures the log accepts."""
        return self.var_dir / "keys" / "witnesses.pub"

    @property
    def stream_key_path(self) -> Path:
        """The stream MAC key, when FARECHAIN_GATES__STREAM_MAC_KEY does not give it."""
        return self.var_dir / "keys" / "stream.key"

    @property
    def ride_issuer_key_path(self) -> Path:
        """The ride-code issuer's active private key."""
        return self.var_dir / "keys" / "ride-issuer.key"

    @property
    def ride_issuer_set_path(self) -> Path:
        """Every ride-code issuer key gates accept, as GET /v1/ride-codes/issuer-keys shows it."""
        return self.var_dir / "keys" / "ride-issuers.json"
