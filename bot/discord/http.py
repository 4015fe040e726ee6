"""POST /discord/interactions: verify, dispatch, respond (a Flask blueprint in the web app)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, request

from bot.discord.interactions import InteractionHandler
from bot.discord.rest import DiscordREST
from bot.discord.verify import verify_request
from bot.settings import Settings, SettingsError
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000


def create_discord_blueprint(
    settings: Settings, engine: Engine, store: Store, defer: bool = False
) -> Blueprint:
    """The interactions route; without Discord settings it answers 503 naming the variable."""
    blueprint = Blueprint("discord", __name__)
    try:
        settings.require_discord()
        problem = None
    except SettingsError as exc:
        problem = str(exc)
    rest = DiscordREST(settings.discord_api_url, settings.discord_bot_token) if problem is None else None
    handler = (
        InteractionHandler(engine, store, rest, defer=settings.discord_defer) if problem is None else None
    )

    @blueprint.post("/discord/interactions")
    def interactions():  # noqa: ANN202 - a Flask view
        if problem is not None or handler is None:
            return jsonify(error=problem), 503
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES or not verify_request(
            settings.discord_public_key or "",
            request.headers.get("X-Signature-Ed25519"),
            request.headers.get("X-Signature-Timestamp"),
            body,
        ):
            return jsonify(error="invalid request signature"), 401
        try:
            payload = json.loads(body)
        except ValueError:
            return jsonify(error="body is not JSON"), 400
        if not isinstance(payload, dict):
            return jsonify(error="body is not a JSON object"), 400
        try:
            return jsonify(handler.handle(payload))
        except Exception:
            logger.exception("interaction %s failed", payload.get("id"))
            return jsonify(type=4, data={"content": "Sorry, something went wrong.", "flags": 64}), 200

    return blueprint
