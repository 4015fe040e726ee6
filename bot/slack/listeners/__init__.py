"""Slack listeners, one module per kind; each exposes register(app, ...)."""

from __future__ import annotations

from slack_bolt import App

from bot.answering import Answering
from bot.settings import Settings
from bot.slack.listeners import actions, commands, events, home


def register_all(app: App, answering: Answering, settings: Settings) -> None:
    events.register(app, answering)
    commands.register(app, answering)
    actions.register(app, answering)
    home.register(app, answering, settings)
