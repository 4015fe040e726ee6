"""Handling one Discord interaction payload: PING, the two commands, and the buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.discord import render
from bot.discord.rest import DiscordAPIError, DiscordREST
from bot.store import Store, StoreError, VoteRecord
from retrieval import EXAMPLE_QUESTIONS, Answer, Engine, QuestionError

logger = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT = 1, 2, 3
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE = 1, 4, 5, 7


def user_id(payload: dict) -> str:
    """The person: member.user in servers, user in DMs."""
    return str(
        (payload.get("member") or {}).get("user", {}).get("id") or (payload.get("user") or {}).get("id", "")
    )


def option(payload: dict, name: str) -> str:
    for opt in (payload.get("data") or {}).get("options") or []:
        if opt.get("name") == name and isinstance(opt.get("value"), str):
            return opt["value"]
    return ""


class InteractionHandler:
    """Turns interaction payloads into responses; the engine and store are injected."""

    def __init__(
        self, engine: Engine, store: Store, rest: DiscordREST | None = None, defer: bool = False
    ) -> None:
        self.engine = engine
        self.store = store
        self.rest = rest
        self.defer = defer and rest is not None
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="discord-followup")

    def handle(self, payload: dict) -> dict:
        kind = payload.get("type")
        if kind == PING:
            return {"type": PONG}
        if kind == APPLICATION_COMMAND:
            return self.command(payload)
        if kind == MESSAGE_COMPONENT:
            return self.component(payload)
        return {
            "type": CHANNEL_MESSAGE,
            "data": render.notice("Sorry, I can't handle that kind of interaction."),
        }

    # -- commands ---------------------------------------------------------------------

    def command(self, payload: dict) -> dict:
        name = (payload.get("data") or {}).get("name")
        question = option(payload, "question").strip()
        if name == "mle-vs-swe" and not question:
            return self._respond(payload, lambda: render.overview_message(self.engine.overview()))
        if name in ("mle-vs-swe", "career"):
            if not question:
                return {
                    "type": CHANNEL_MESSAGE,
                    "data": render.notice(
                        "Ask a question, e.g. `/career question: What does an ML engineer do?`"
                    ),
                }
            return self._respond(payload, lambda: self.answer_data(question))
        return {"type": CHANNEL_MESSAGE, "data": render.notice(f"Unknown command: {name}")}

    def _respond(self, payload: dict, build: Callable[[], dict]) -> dict:
        """Answer at once (type 4), or defer (type 5) and edit the original response later."""
        if not self.defer:
            return {"type": CHANNEL_MESSAGE, "data": build()}
        self._background.submit(self._edit_original, payload, build)
        return {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": render.EPHEMERAL}}

    def _edit_original(self, payload: dict, build: Callable[[], dict]) -> None:
        path = f"/webhooks/{payload.get('application_id')}/{payload.get('token')}/messages/@original"
        try:
            data = build()
            data.pop("flags", None)  # set by the deferral already
            self.rest.request("PATCH", path, data, auth=False)
        except DiscordAPIError as exc:
            logger.error("interaction %s: editing the deferred answer failed: %s", payload.get("id"), exc)
        except Exception:
            logger.exception("interaction %s: building the deferred answer failed", payload.get("id"))

    def ask(self, question: str) -> Answer | str:
        try:
            return self.engine.ask(question)
        except QuestionError as exc:
            return str(exc)

    def answer_data(self, question: str, ephemeral: bool = True, asked_by: str | None = None) -> dict:
        answer = self.ask(question)
        if isinstance(answer, str):
            return render.notice(f"I couldn't read that as a question: {answer}", ephemeral=ephemeral)
        if not answer.answered:
            try:
                self.store.log_unanswered("discord", answer.question)
            except StoreError:
                logger.warning("could not log an unanswered question", exc_info=True)
        return render.answer_message(answer, ephemeral=ephemeral, asked_by=asked_by)

    # -- buttons ------------------------------------------------------------------------

    def component(self, payload: dict) -> dict:
        custom_id = (payload.get("data") or {}).get("custom_id", "")
        message = payload.get("message") or {}
        question = render.unescape_question(message.get("content", ""))
        if custom_id in ("vote:up", "vote:down"):
            return self.vote(payload, custom_id.split(":")[1], question)
        if custom_id == "share":
            return {
                "type": CHANNEL_MESSAGE,
                "data": self.answer_data(question, ephemeral=False, asked_by=user_id(payload)),
            }
        if custom_id.startswith("ask:"):
            try:
                example = EXAMPLE_QUESTIONS[int(custom_id[4:])]
            except (ValueError, IndexError):
                return {"type": CHANNEL_MESSAGE, "data": render.notice("That button has expired.")}
            return {"type": CHANNEL_MESSAGE, "data": self.answer_data(example)}
        return {"type": CHANNEL_MESSAGE, "data": render.notice("That button has expired.")}

    def vote(self, payload: dict, vote: str, question: str) -> dict:
        answer = self.ask(question)
        hits = answer.hits if isinstance(answer, Answer) else ()
        message = payload.get("message") or {}
        saved = True
        try:
            self.store.record_vote(
                VoteRecord(
                    platform="discord",
                    answer_key=str(message.get("id", "")),
                    user=user_id(payload),
                    vote=vote,
                    question=question,
                    passage_ids=tuple(h.passage_id for h in hits),
                    scores=tuple(h.score for h in hits),
                    channel=str(payload.get("channel_id") or ""),
                )
            )
        except StoreError:
            saved = False
            logger.error("interaction %s: vote not saved", payload.get("id"), exc_info=True)
        return {
            "type": UPDATE_MESSAGE,
            "data": {
                "components": render.recorded_vote_components(vote, saved),
                "allowed_mentions": render.NO_MENTIONS,
            },
        }
