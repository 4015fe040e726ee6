"""Slack listeners, one module per kind; each exposes register(app, ...)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, home
from bot.settings import Settings
from bot.store import Store
from retrieval import Engine


def register_all(app: App, engine: Engine, store: Store, settings: Settings) -> None:
    events.register(app, engine, store)
    commands.register(app, engine, store)
    actions.register(app, engine, store)
    home.register(app, engine, store, settings)
