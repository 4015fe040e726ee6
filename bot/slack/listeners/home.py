"""Onboarding: the App Home tab, the Messages tab's suggested prompts (Slack's agent_view),
and a welcome for people who join an onboarding channel."""

from __future__ import annotations

import logging
import threading
import time

from slack_bolt import App, BoltContext, SetSuggestedPrompts
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack import blocks
from bot.slack.context import answering_of, onboarding_of
from retrieval import Engine


def looks_like_id(channel: str) -> bool:
    """Slack channel ids are upper-case letters and digits starting with C or G; names are
    lower-case (Slack forbids capitals in names)."""
    return channel[:1] in ("C", "G") and channel.isupper() and channel.isalnum()


class ChannelNames:
    """Channel id -> name via conversations.info, remembered for a while: a join burst
    (a whole team added to #welcome) should not cost one Web API call per person."""

    def __init__(self, ttl_seconds: float = 600.0) -> None:
        self.ttl = ttl_seconds
        self._names: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, client: WebClient, channel: str, logger: logging.Logger) -> str | None:
        now = time.monotonic()
        with self._lock:
            cached = self._names.get(channel)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        try:
            info = client.conversations_info(channel=channel)
        except SlackApiError as exc:
            logger.warning("could not look up channel %s: %s", channel, exc.response.get("error"))
            return None
        name = str((info.get("channel") or {}).get("name") or "")
        with self._lock:
            self._names[channel] = (now, name)
        return name


class Onboarding:
    """The Home tab, the welcome, and which channels are onboarding channels (built once: the
    engine is read-only, so every person sees the same Home tab and welcome)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.home = blocks.home_view(engine.documents, engine.example_questions(), engine.description)
        self.welcome = blocks.welcome_blocks(engine.documents, engine.example_questions(), engine.description)
        self.prompts = blocks.suggested_prompts(engine.example_questions())
        self.channels = settings.onboarding_channels
        self._names = {c.lower() for c in self.channels if not looks_like_id(c)}
        self._lookup = ChannelNames()

    def is_onboarding(self, client: WebClient, channel: str, logger: logging.Logger) -> bool:
        if channel in self.channels:
            return True
        if not self._names or not channel:
            return False  # only IDs configured: no need to look the name up
        name = self._lookup.get(client, channel, logger)
        return name is not None and name.lower() in self._names


def on_home(
    client: WebClient,
    event: dict,
    context: BoltContext,
    logger: logging.Logger,
    set_suggested_prompts: SetSuggestedPrompts | None = None,
) -> None:
    """The Home tab: what the bot answers from, and example questions. Under agent_view the
    same event opens the Messages tab (the agent DM): that gets the suggested prompts."""
    if event.get("tab") == "messages":
        _show_prompts(set_suggested_prompts, event, context, logger)
        return
    if event.get("tab") != "home":
        return
    try:
        client.views_publish(user_id=event["user"], view=onboarding_of(context).home)
    except SlackApiError as exc:
        logger.error("could not publish the Home tab for %s: %s", event["user"], exc.response.get("error"))


def _show_prompts(
    set_prompts: SetSuggestedPrompts | None, event: dict, context: BoltContext, logger: logging.Logger
) -> None:
    # Bolt injects set_suggested_prompts for tab == "messages" (slack-bolt >= 1.30); the
    # prompts pin to the top of the Messages tab, with no thread.
    if set_prompts is None:
        return
    try:
        set_prompts(prompts=onboarding_of(context).prompts, title=blocks.PROMPTS_TITLE)
    except SlackApiError as exc:
        logger.error(
            "could not set suggested prompts for %s: %s", event.get("user"), exc.response.get("error")
        )
    except OSError as exc:
        logger.error("could not set suggested prompts for %s: %s", event.get("user"), exc)


def on_join(client: WebClient, event: dict, context: BoltContext, logger: logging.Logger) -> None:
    """A person joined an onboarding channel: welcome them once, by DM."""
    onboarding = onboarding_of(context)
    user = event.get("user")
    if not user or user == context.get("bot_user_id") or not onboarding.channels:
        return
    if not onboarding.is_onboarding(client, event.get("channel", ""), logger):
        return
    answering = answering_of(context)
    if not answering.claim_welcome("slack", user):
        return  # already welcomed once (or the store is unavailable)
    try:
        client.chat_postMessage(
            channel=user, text=blocks.escape(blocks.WELCOME_TEXT), blocks=onboarding.welcome
        )
    except (SlackApiError, OSError):
        logger.error("welcome for %s failed; will try again on their next join", user, exc_info=True)
        answering.release_welcome("slack", user)


def register(app: App) -> None:
    app.event("app_home_opened")(on_home)
    app.event("member_joined_channel")(on_join)
