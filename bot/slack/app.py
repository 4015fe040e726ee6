"""The Slack app factory: a Bolt App wired to the engine and the store (no globals)."""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.answering import Answering
from bot.followups import Conversations, FollowUpPolicy
from bot.settings import Settings, SettingsError
from bot.slack.context import provide
from bot.slack.listeners import register_all
from bot.slack.listeners.home import Onboarding
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)

# Bounded retries: 429 (honouring Retry-After), 5xx and refused connections. After that
# the reply is logged with its event id and the app goes on. A call that times out is not
# retried: Slack may have posted it already, and a duplicate answer is worse than a log line.
MAX_RETRIES = 2
# Bolt's own default; gunicorn's threads acknowledge, these post the answers.
LISTENER_THREADS = 5


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


def listener_executor() -> ThreadPoolExecutor:
    """The pool Bolt runs listeners in after the ack; ours, so shutdown can drain it."""
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener")


def create_app(
    settings: Settings,
    engine: Engine,
    store: Store,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
    executor: ThreadPoolExecutor | None = None,
) -> App:
    """Build the Bolt app. Request signatures are always verified in HTTP mode.

    `executor` runs the listeners' work after the ack; pass one you drain on shutdown
    (bot/shutdown.py). The engine, store and answering flow reach the listeners through
    Bolt's context (bot/slack/context.py).
    """
    settings.require("slack_bot_token")
    app = App(
        client=client or web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
        logger=logging.getLogger("careerbot.slack"),
        listener_executor=executor or listener_executor(),
    )
    app.error(on_error)
    answering = Answering(engine, store, log_questions=settings.careerbot_log_questions)
    conversations = Conversations(answering, FollowUpPolicy.from_settings(settings))
    app.use(provide(answering, Onboarding(settings, engine), conversations))
    register_all(app, store)
    return app


def on_error(error: Exception, body: dict, logger: logging.Logger) -> None:
    """Anything a listener did not expect: logged with the event id, never shown raw."""
    logger.exception(
        "unhandled error (event %s)", body.get("event_id") or body.get("trigger_id"), exc_info=error
    )


# auth.test errors that mean the token itself is wrong: no point in starting.
REFUSED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


def check_slack_token(settings: Settings, *, must_reach: bool) -> None:
    """One auth.test before start-up, so a wrong SLACK_BOT_TOKEN is one line, not a traceback
    in every worker. An unreachable Web API stops Socket Mode (it cannot work without it) but
    only warns in HTTP mode, which answers Slack's requests and Discord meanwhile."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=5)
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error in REFUSED_TOKEN_ERRORS:
            raise SettingsError(f"SLACK_BOT_TOKEN was refused by Slack ({error})") from None
        problem = f"Slack's auth.test failed ({error})"
    except OSError as exc:  # refused, unreachable, timed out
        problem = f"cannot reach the Slack Web API at SLACK_API_URL={settings.slack_api_url} ({exc})"
    else:
        return
    if must_reach:
        raise SettingsError(problem)
    print(f"careerbot: warning: {problem}; starting anyway", file=sys.stderr)
