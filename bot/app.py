"""The Slack app factory: a Bolt App wired to the engine and the store (no globals)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.listeners import register_all
from bot.settings import Settings
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)

# Bounded retries: 429 (honouring Retry-After), 5xx and refused connections. After that
# the reply is logged with its event id and the app goes on. A call that times out is not
# retried: Slack may have posted it already, and a duplicate answer is worse than a log line.
MAX_RETRIES = 2


def web_client(settings: Settings) -> WebClient:
    """A Web API client for settings.slack_api_url with bounded retries."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout,  # type: ignore[arg-type]  # urllib takes float seconds
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
            ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
            ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ],
    )


def create_app(
    settings: Settings,
    engine: Engine,
    store: Store,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
) -> App:
    """Build the Bolt app. Request signatures are always verified in HTTP mode."""
    settings.require("slack_bot_token")
    app = App(
        client=client or web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
        logger=logging.getLogger("careerbot.slack"),
    )

    @app.error
    def on_error(error: Exception, body: dict, logger: logging.Logger) -> None:
        # Anything a listener did not expect: logged with the event id, never shown raw.
        logger.exception(
            "unhandled error (event %s)", body.get("event_id") or body.get("trigger_id"), exc_info=error
        )

    register_all(app, engine, store, settings)
    return app
