"""Onboarding: the App Home tab, and a welcome for people who join an onboarding channel."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.settings import Settings
from bot.store import Store, StoreError
from retrieval import Engine


def register(app: App, engine: Engine, store: Store, settings: Settings) -> None:
    home = blocks.home_view(engine.documents)
    welcome = blocks.welcome_blocks(engine.documents)
    onboarding = settings.onboarding_channels

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
        if not any(not c.startswith(("C", "G")) or c.lower() == c for c in onboarding):
            return False  # only IDs configured: no need to look the name up
        try:
            info = client.conversations_info(channel=channel)
        except SlackApiError as exc:
            logger.warning("could not look up channel %s: %s", channel, exc.response.get("error"))
            return False
        name = (info.get("channel") or {}).get("name", "")
        return name in onboarding or name.lower() in {c.lower() for c in onboarding}

    @app.event("member_joined_channel")
    def on_join(client: WebClient, event: dict, context: dict, logger: logging.Logger) -> None:
        user = event.get("user")
        if not user or user == context.get("bot_user_id") or not onboarding:
            return
        if not is_onboarding(client, event.get("channel", ""), logger):
            return
        try:
            if not store.claim_welcome("slack", user):
                return  # already welcomed once
        except StoreError:
            logger.error("welcome for %s skipped: store unavailable", user, exc_info=True)
            return
        try:
            client.chat_postMessage(channel=user, text=blocks.escape(blocks.WELCOME_TEXT), blocks=welcome)
        except (SlackApiError, OSError):
            logger.error("welcome for %s failed; will try again on their next join", user, exc_info=True)
            try:
                store.release_welcome("slack", user)
            except StoreError:
                logger.error("could not release the welcome claim for %s", user, exc_info=True)
