"""Onboarding: the App Home tab, and a welcome for people who join an onboarding channel."""

from __future__ import annotations

import logging
import threading
import time

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import Answering
from bot.settings import Settings
from bot.slack import blocks


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


def register(app: App, answering: Answering, settings: Settings) -> None:
    engine = answering.engine
    # Built once: the engine is read-only, so every person sees the same Home tab and welcome.
    home = blocks.home_view(engine.documents, engine.example_questions())
    welcome = blocks.welcome_blocks(engine.documents, engine.example_questions())
    onboarding = settings.onboarding_channels
    onboarding_names = {c.lower() for c in onboarding if not looks_like_id(c)}
    names = ChannelNames()

    @app.event("app_home_opened")
    def on_home(client: WebClient, event: dict, logger: logging.Logger) -> None:
        if event.get("tab") != "home":
            return
        try:
            client.views_publish(user_id=event["user"], view=home)
        except SlackApiError as exc:
            logger.error(
                "could not publish the Home tab for %s: %s", event["user"], exc.response.get("error")
            )

    def is_onboarding(client: WebClient, channel: str, logger: logging.Logger) -> bool:
        if channel in onboarding:
            return True
        if not onboarding_names or not channel:
            return False  # only IDs configured: no need to look the name up
        name = names.get(client, channel, logger)
        return name is not None and name.lower() in onboarding_names

    @app.event("member_joined_channel")
    def on_join(client: WebClient, event: dict, context: dict, logger: logging.Logger) -> None:
        user = event.get("user")
        if not user or user == context.get("bot_user_id") or not onboarding:
            return
        if not is_onboarding(client, event.get("channel", ""), logger):
            return
        if not answering.claim_welcome("slack", user):
            return  # already welcomed once (or the store is unavailable)
        try:
            client.chat_postMessage(channel=user, text=blocks.escape(blocks.WELCOME_TEXT), blocks=welcome)
        except (SlackApiError, OSError):
            logger.error("welcome for %s failed; will try again on their next join", user, exc_info=True)
            answering.release_welcome("slack", user)
