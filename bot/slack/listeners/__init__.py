"""Slack listeners, one module per kind; each exposes register(app), which attaches its
module-level listener functions. They read the engine, store and answering flow from
Bolt's context (bot/slack/context.py)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, assistant, commands, events, home, resolution, shortcuts
from bot.store import Store


def register_all(app: App, store: Store | None = None) -> None:
    """Every listener; with `store`, also the assistant_view pane (its thread context lives there)."""
    if store is not None:
        assistant.register(app, store)
    events.register(app)
    commands.register(app)
    actions.register(app)
    shortcuts.register(app)
    home.register(app)
    resolution.register(app)
