"""Slack listeners, one module per kind; each exposes register(app), which attaches its
module-level listener functions. They read the engine, store and answering flow from
Bolt's context (bot/slack/context.py)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, home


def register_all(app: App) -> None:
    events.register(app)
    commands.register(app)
    actions.register(app)
    home.register(app)
