"""Settings from the environment and an optional .env file (pydantic-settings).

Every front end reads the same Settings; each checks only the values it needs
(`require_slack_http()`, `require_discord()`, ...) so Slack runs without Discord
settings and the other way round. A missing or malformed value raises SettingsError
with one line naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import SettingsError

__all__ = ["DEFAULT_CORPUS", "Settings", "SettingsError", "load_settings"]

from retrieval.corpus import DEFAULT_CORPUS  # the bundled corpus, found after any install


class Settings(BaseSettings):
    """careerbot's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = Field(default=None, description="Bot token (xoxb-...) for the Web API.")
    slack_signing_secret: str | None = Field(
        default=None, description="Signing secret; every HTTP request from Slack is verified with it."
    )
    slack_app_token: str | None = Field(
        default=None, description="App-level token (xapp-...); when set, `careerbot serve` uses Socket Mode."
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Web API base URL (GovSlack and tests change it)."
    )
    slack_api_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for one Web API call before retrying."
    )
    port: int = Field(default=3000, ge=1, le=65535, description="HTTP port of the web process.")
    web_concurrency: int = Field(default=2, ge=1, le=64, description="gunicorn worker processes.")
    careerbot_threads: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Threads per gunicorn worker (requests one worker acknowledges at once).",
    )
    careerbot_corpus: Path = Field(
        default=DEFAULT_CORPUS, description="Corpus: a directory of .md/.txt documents or a .jsonl file."
    )
    careerbot_index: Path | None = Field(
        default=None,
        description="A saved index (`careerbot index build --out FILE`) to load instead of building.",
    )
    careerbot_db: Path = Field(
        default=Path("careerbot.db"), description="SQLite file for votes, event claims and welcomes."
    )
    database_url: str | None = Field(
        default=None, description="postgresql://... to share state between instances (SQLite otherwise)."
    )
    careerbot_db_timeout: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="Seconds a PostgreSQL store call waits for a connection before giving up, so an "
        "answer goes out anyway while the database is down.",
    )
    careerbot_onboarding_channels: str = Field(
        default="", description="Comma-separated channel IDs or names whose new members get a welcome."
    )
    careerbot_followup_answers: int = Field(
        default=5,
        ge=0,
        le=100,
        description="Follow-ups answered without a mention in a thread the bot answered (0 turns them off).",
    )
    careerbot_followup_idle_minutes: float = Field(
        default=60.0,
        gt=0,
        le=10080,
        description="Minutes of quiet after which the bot stops following a thread.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Lowest level logged: DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="`text` (one readable line) or `json` (one JSON object per line)."
    )
    careerbot_max_body_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        le=100_000_000,
        description="Largest request body /slack/events and /discord/interactions read (413 beyond, "
        "chunked or not), checked before anything is parsed.",
    )
    careerbot_log_questions: bool = Field(
        default=False,
        description="Include the question text in the one log line per answered question (off: counts only).",
    )
    careerbot_heartbeat_file: Path | None = Field(
        default=None,
        description="Socket Mode worker and Discord gateway: keep this heartbeat file fresh while connected "
        "(`careerbot health` checks it).",
    )
    careerbot_heartbeat_seconds: float = Field(
        default=10.0, gt=0, le=300, description="Seconds between two heartbeats."
    )
    discord_public_key: str | None = Field(
        default=None, description="Discord application public key (hex) for Ed25519 request verification."
    )
    discord_application_id: str | None = Field(default=None, description="Discord application ID.")
    discord_bot_token: str | None = Field(default=None, description="Discord bot token (REST and gateway).")
    discord_api_url: str = Field(
        default="https://discord.com/api/v10", description="Discord REST base URL (tests point it at a mock)."
    )
    discord_gateway_url: str | None = Field(
        default=None,
        description="Discord gateway WebSocket URL (tests point it at a local one; discord.py's otherwise).",
    )
    discord_defer: bool = Field(
        default=False, description="Answer Discord commands with a deferred response, then edit it in."
    )
    discord_members_intent: bool = Field(
        default=False, description="Welcome members who join (needs the privileged members intent)."
    )
    discord_message_content_intent: bool = Field(
        default=False,
        description="Follow up in threads without a mention (needs the privileged message content intent).",
    )
    careerbot_helpers: str = Field(
        default="",
        description=(
            'People "Ask a person" mentions: comma-separated slack:S… (user group) or slack:U… (user), '
            "discord:role:ID or discord:user:ID; `careerbot helpers set` overrides it per channel."
        ),
    )
    careerbot_insight_token: str | None = Field(
        default=None,
        description="Token that opens the /insight page (header or login form); unset, the page is off (404).",
    )
    careerbot_retention_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Days question texts are kept (the counts stay); older are purged.",
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.upper() if info.field_name == "log_level" else value.lower()

    def configure_logging(self) -> None:
        """Apply LOG_LEVEL and LOG_FORMAT to this process's logging."""
        from bot.logs import configure_logging

        configure_logging(self.log_level, self.log_format)

    @field_validator("slack_api_url")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("discord_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value or None

    @field_validator("careerbot_helpers")
    @classmethod
    def _helpers_syntax(cls, value: str) -> str:
        from bot.helpers import parse_helpers

        parse_helpers(value)  # ValueError names the bad entry
        return value

    @field_validator("careerbot_insight_token")
    @classmethod
    def _token_length(cls, value: str | None) -> str | None:
        if value is not None and value.strip() and len(value.strip()) < 16:
            raise ValueError("must be at least 16 characters (it guards the insight page)")
        return value.strip() or None if value is not None else None

    @property
    def onboarding_channels(self) -> frozenset[str]:
        """Channel IDs or names (without '#'), lower-cased names kept as given."""
        return frozenset(
            c.strip().lstrip("#") for c in self.careerbot_onboarding_channels.split(",") if c.strip()
        )

    @property
    def has_slack(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def has_discord(self) -> bool:
        return bool(self.discord_public_key and self.discord_application_id)

    def require(self, *names: str) -> None:
        """Raise SettingsError naming the first of `names` (field names) that is unset."""
        for name in names:
            if not getattr(self, name):
                raise SettingsError(f"{name.upper()} is not set: {_help(name)}")

    _web_problem: str | None = PrivateAttr(default=None)

    def require_web(self) -> None:
        """Raise SettingsError for a malformed PORT, WEB_CONCURRENCY or CAREERBOT_THREADS: only
        the web process uses them, so `ask`, `chat` and `eval` run with a bad one."""
        if self._web_problem:
            raise SettingsError(self._web_problem)

    def require_slack_http(self) -> None:
        self.require("slack_bot_token", "slack_signing_secret")

    def require_slack_socket(self) -> None:
        self.require("slack_bot_token", "slack_app_token")

    def require_discord(self) -> None:
        self.require("discord_public_key", "discord_application_id")


def _help(name: str) -> str:
    return Settings.model_fields[name].description or ""


def load_settings(**overrides: object) -> Settings:
    """Read settings; a malformed value raises SettingsError naming its variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = exc.errors()
        first = _describe(errors[0])
        web_only = {str(e["loc"][0]) for e in errors if e.get("loc")} <= WEB_ONLY
        if not web_only or any(not e.get("loc") for e in errors):
            raise SettingsError(first) from None
    # Only web-process settings are malformed: the defaults stand in, and the web process
    # (require_web) still stops with the one line.
    defaults = {name: Settings.model_fields[name].default for name in WEB_ONLY}
    settings = Settings(**{**overrides, **defaults})
    settings._web_problem = first
    return settings


WEB_ONLY = frozenset({"port", "web_concurrency", "careerbot_threads"})


def _describe(err: object) -> str:
    loc = err.get("loc") if isinstance(err, dict) else None
    name = str(loc[0]).upper() if loc else "a setting"
    return f"{name} is invalid: {err['msg'] if isinstance(err, dict) else err}"
