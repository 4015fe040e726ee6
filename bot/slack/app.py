"""The Slack app factory: a Bolt App wired to the engine and the store (no globals)."""

from __future__ import annotations

import logging
import math
import random
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.answering import Answering
from bot.followups import Conversations, FollowUpPolicy
from bot.settings import Settings, SettingsError
from bot.shutdown import SHUTTING_DOWN
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


# A rate-limit wait longer than this is not waited out: the reply is logged as not delivered.
# Two such waits plus the calls fit gunicorn's 25 s graceful shutdown (bot/gunicorn_conf.py).
MAX_RATE_LIMIT_WAIT_SECONDS = 8.0


def retry_after_seconds(value: str | None) -> float:
    """Slack's Retry-After: integer seconds as documented, but a float or an HTTP date too;
    anything unreadable counts as one second (slack_sdk's int() raised, dropping the reply)."""
    if value is None:
        return 1.0
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 1.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """429s: wait Retry-After (any form), at most MAX_RATE_LIMIT_WAIT_SECONDS, never past a shutdown."""

    def _can_retry(
        self, *, state: RetryState, request: HttpRequest, response: Any = None, error: Any = None
    ) -> bool:
        if response is None or response.status_code != 429 or SHUTTING_DOWN.is_set():
            return False
        return self._wait(response) <= MAX_RATE_LIMIT_WAIT_SECONDS

    def prepare_for_next_attempt(
        self, *, state: RetryState, request: HttpRequest, response: Any = None, error: Any = None
    ) -> None:
        if response is None:
            raise error
        state.next_attempt_requested = True
        SHUTTING_DOWN.wait(min(self._wait(response), MAX_RATE_LIMIT_WAIT_SECONDS) + random.random() * 0.2)
        state.increment_current_attempt()

    @staticmethod
    def _wait(response: Any) -> float:
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                return retry_after_seconds(values[0] if values else None)
        return 1.0


def web_client(settings: Settings) -> WebClient:
    """A Web API client for settings.slack_api_url with bounded retries."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout,  # type: ignore[arg-type]  # urllib takes float seconds
        retry_handlers=[
            BoundedRateLimitRetryHandler(max_retry_count=MAX_RETRIES),
            ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
            ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ],
    )


def listener_executor() -> ThreadPoolExecutor:
    """The pool Bolt runs listeners in after the ack; ours, so shutdown can drain it."""
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener")


class BotIdentity:
    """auth.test's answer (bot user id, team), learned off the request path.

    Bolt's App() calls auth.test at construction and its authorization calls it again on a
    request until it succeeds: with Slack's Web API down, a worker fails to boot, or an ack
    waits on the outage. Here one quick try is made at start-up, failure is tolerated, and a
    background thread re-checks (backing off) until Slack answers; a refused token is logged.
    """

    RECHECK_FIRST_SECONDS = 5.0
    RECHECK_MAX_SECONDS = 120.0

    def __init__(self, settings: Settings) -> None:
        # Short and without retries: this never holds up a worker's boot for long.
        self._client = WebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            timeout=min(3, math.ceil(settings.slack_api_timeout)),
        )
        self._result: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._checker: threading.Thread | None = None
        self.refused: str | None = None

    @property
    def known(self) -> dict[str, Any] | None:
        return self._result

    def check_now(self) -> bool:
        """One auth.test; True once the identity is known."""
        try:
            response = self._client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in REFUSED_TOKEN_ERRORS:
                self.refused = error
                logger.error("SLACK_BOT_TOKEN was refused by Slack (%s): Slack replies will fail", error)
            else:
                logger.warning("Slack's auth.test failed (%s); will check again", error)
            return False
        except OSError as exc:
            logger.warning("cannot reach the Slack Web API (%s); will check again", exc)
            return False
        self._result = dict(response.data) if isinstance(response.data, dict) else {}
        if self._checker is not None:
            logger.info("Slack's Web API answers again: bot user %s", self._result.get("user_id"))
        return True

    def start(self) -> None:
        """Check once now; on failure keep checking in the background."""
        if not self.check_now() and self.refused is None:
            self._start_checker()

    def _start_checker(self) -> None:
        with self._lock:
            if self._checker is not None and self._checker.is_alive():
                return
            self._checker = threading.Thread(target=self._recheck, name="slack-auth-check", daemon=True)
            self._checker.start()

    def _recheck(self) -> None:
        delay = self.RECHECK_FIRST_SECONDS
        while not SHUTTING_DOWN.wait(delay):
            if self.check_now() or self.refused is not None:
                return
            delay = min(delay * 2, self.RECHECK_MAX_SECONDS)

    def authorize(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        """Bolt's authorize hook: the token, and the identity when known (no network call)."""
        known = self._result or {}
        return AuthorizeResult(
            enterprise_id=enterprise_id or known.get("enterprise_id"),
            team_id=team_id or known.get("team_id"),
            bot_user_id=known.get("user_id"),
            bot_id=known.get("bot_id"),
            bot_token=self._client.token,
            user_id=user_id,
        )


def _authorize_with(identity: BotIdentity) -> Callable[..., AuthorizeResult]:
    # A plain function: Bolt injects arguments by parameter name (a bound method confuses it).
    def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return identity.authorize(enterprise_id, team_id, user_id)

    return authorize


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
    SHUTTING_DOWN.clear()  # a new app is about to serve (a test's earlier drain is over)
    identity = BotIdentity(settings)
    if client is not None:
        identity._client = client  # the caller's client (a test's mock) answers auth.test too
    if token_verification_enabled:
        identity.start()  # tolerant: an outage is a warning and a background re-check
    app = App(
        client=client or web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=process_before_response,
        # Never Bolt's auth.test at construction (a Slack outage would stop every worker
        # booting) nor in the request path: our authorize knows the identity already.
        authorize=_authorize_with(identity),
        logger=logging.getLogger("careerbot.slack"),
        listener_executor=executor or listener_executor(),
    )
    app.bot_identity = identity  # type: ignore[attr-defined]  # for tests and /healthz
    app.error(on_error)
    answering = Answering(
        engine, store, log_questions=settings.careerbot_log_questions, helpers=settings.careerbot_helpers
    )
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
