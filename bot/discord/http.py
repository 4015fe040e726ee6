"""POST /discord/interactions: verify, dispatch, respond (a Flask blueprint in the web app)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from bot.answering import Answering
from bot.discord.interactions import InteractionHandler
from bot.discord.rest import DiscordREST
from bot.discord.verify import verify_request
from bot.settings import Settings, SettingsError
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000  # interaction payloads are a few kB; refuse anything absurd unread
_HANDLERS: list[InteractionHandler] = []


def create_discord_blueprint(settings: Settings, engine: Engine, store: Store) -> Blueprint:
    """The interactions route; without Discord settings it answers 503 naming the variable."""
    blueprint = Blueprint("discord", __name__)
    try:
        settings.require_discord()
        problem = None
    except SettingsError as exc:
        problem = str(exc)
    handler: InteractionHandler | None = None
    if problem is None:
        # Webhook edits need no bot token (the interaction token authorises them).
        handler = InteractionHandler(
            Answering(engine, store, log_questions=settings.careerbot_log_questions),
            DiscordREST(settings.discord_api_url, settings.discord_bot_token),
            defer=settings.discord_defer,
            application_id=settings.discord_application_id,
        )
        _HANDLERS.append(handler)

    @blueprint.post("/discord/interactions")
    def interactions() -> ResponseReturnValue:
        if handler is None:
            return jsonify(error=problem), 503
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return jsonify(error="request body too large"), 413
        body = request.get_data(cache=False)
        if not verify_request(
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
            reply = handler.handle(payload)
        except Exception:
            # One error policy: log with the interaction id, answer the person kindly, keep serving.
            logger.exception("interaction %s failed", payload.get("id"))
            return jsonify(type=4, data={"content": "Sorry, something went wrong.", "flags": 64})
        response: Response = jsonify(reply.body)
        if reply.after_send is not None:
            # Runs once the response has been written: only then may the original be edited.
            response.call_on_close(reply.after_send)
        return response

    return blueprint


def drain() -> int:
    """Finish acknowledged Discord answers (deferred edits) before the process exits; the
    number of handlers drained."""
    for handler in _HANDLERS:
        handler.shutdown()
    return len(_HANDLERS)
