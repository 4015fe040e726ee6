"""POST /discord/interactions: verify, dispatch, respond (a Flask blueprint in the web app)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from bot.answering import Answering
from bot.discord.interactions import InteractionHandler
from bot.discord.protocol import MessageFlag, ResponseType
from bot.discord.rest import DiscordREST
from bot.discord.verify import verify_request
from bot.http_guard import BodyTooLarge, read_body, refuse, safe
from bot.settings import Settings, SettingsError
from bot.shutdown import drain_on_shutdown
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)
HANDLER = "careerbot.discord"  # the app's InteractionHandler, in Flask's app.extensions


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
            Answering(
                engine,
                store,
                log_questions=settings.careerbot_log_questions,
                helpers=settings.careerbot_helpers,
            ),
            DiscordREST(settings.discord_api_url, settings.discord_bot_token),
            defer=settings.discord_defer,
            application_id=settings.discord_application_id,
            helpers=settings.careerbot_helpers,
        )
        drain_on_shutdown(blueprint, handler.executor)
        blueprint.record_once(lambda state: state.app.extensions.__setitem__(HANDLER, handler))

    @blueprint.post("/discord/interactions")
    def interactions() -> ResponseReturnValue:
        if handler is None:
            return jsonify(error=problem), 503
        payload = _verified_payload(settings)
        if not isinstance(payload, dict):
            return payload  # the refusal
        return _answer(handler, payload)

    return blueprint


def _verified_payload(settings: Settings) -> dict | ResponseReturnValue:
    """The request's JSON object once its size and Ed25519 signature check out; else the refusal."""
    try:
        body = read_body(request, settings.careerbot_max_body_bytes)
    except BodyTooLarge:
        return refuse(request, 413, "request body too large")
    if not verify_request(
        settings.discord_public_key or "",
        request.headers.get("X-Signature-Ed25519"),
        request.headers.get("X-Signature-Timestamp"),
        body,
    ):
        return refuse(request, 401, "invalid request signature")
    try:
        payload = json.loads(body)
    except RecursionError:
        return refuse(request, 400, "body is nested too deeply")
    except ValueError:  # not JSON, or not UTF-8
        return refuse(request, 400, "body is not JSON")
    if not isinstance(payload, dict):
        return refuse(request, 400, "body is not a JSON object")
    return payload


def _answer(handler: InteractionHandler, payload: dict) -> ResponseReturnValue:
    """Handle a verified interaction once; the response, with any after-send work attached."""
    if not handler.first_delivery(payload):
        return refuse(
            request, 409, "interaction already handled", f"interaction {payload.get('id')!r} replayed"
        )
    try:
        reply = handler.handle(payload)
    except Exception:
        # One error policy: log with the interaction id, answer the person kindly, keep serving.
        logger.exception("interaction %s failed", safe(payload.get("id")))
        return jsonify(
            type=ResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
            data={"content": "Sorry, something went wrong.", "flags": MessageFlag.EPHEMERAL},
        )
    response: Response = jsonify(reply.body)
    if reply.after_send is not None:
        # Runs once the response has been written: only then may the original be edited.
        response.call_on_close(reply.after_send)
    return response


def interaction_handler(app: Flask) -> InteractionHandler | None:
    """The interaction handler a web app serves (None without the Discord settings)."""
    return app.extensions.get(HANDLER)
