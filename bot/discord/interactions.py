"""Handling one Discord interaction payload: PING, the two commands, and the buttons.

`InteractionHandler.handle(payload)` returns a `Reply`: the JSON body of the HTTP
response, and, for a deferred answer, an `after_send` callable that the web layer runs
once the response has gone out (editing the original before Discord has our type 5
would fail). Nothing here knows about Flask.

Deferral: the answer is computed in a worker thread. If it is ready within
`defer_after` seconds (well inside Discord's three), it is the type 4 response itself;
otherwise the response is type 5 and the answer is PATCHed into the original through the
interaction webhook when ready. `defer=True` always defers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from bot.answering import Answering
from bot.discord import render
from bot.discord.rest import DiscordAPIError, DiscordREST
from bot.store import StoreError, VoteRecord

logger = logging.getLogger(__name__)

# Interaction types, and the response types we use.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT = 1, 2, 3
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE = 1, 4, 5, 7
DEFER_AFTER_SECONDS = 2.0

COMMAND_NAMES = ("mle-vs-swe", "career")
PLATFORM = "discord"


@dataclass
class Reply:
    """What to answer Discord now, and what to do once that answer has been sent."""

    body: dict
    after_send: Callable[[], None] | None = None


def user_id(payload: dict) -> str:
    """The person: member.user in servers, user in DMs."""
    member_user = (payload.get("member") or {}).get("user") or {}
    return str(member_user.get("id") or (payload.get("user") or {}).get("id") or "")


def option(payload: dict, name: str) -> str:
    """A string option of a slash command ("" when absent)."""
    for opt in (payload.get("data") or {}).get("options") or []:
        if isinstance(opt, dict) and opt.get("name") == name and isinstance(opt.get("value"), str):
            return opt["value"]
    return ""


def message_is_ephemeral(message: dict) -> bool:
    flags = message.get("flags")
    return isinstance(flags, int) and bool(flags & render.EPHEMERAL)


def _message(data: dict) -> dict:
    return {"type": CHANNEL_MESSAGE, "data": data}


class InteractionHandler:
    """Turns interaction payloads into replies; the answering flow and REST client are injected."""

    def __init__(
        self,
        answering: Answering,
        rest: DiscordREST | None = None,
        *,
        defer: bool = False,
        defer_after: float = DEFER_AFTER_SECONDS,
        application_id: str | None = None,
    ) -> None:
        self.answering = answering
        self.engine = answering.engine
        self.store = answering.store
        self.rest = rest
        self.defer = defer and rest is not None
        self.defer_after = defer_after
        self.application_id = application_id
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="discord-answer")

    def handle(self, payload: dict) -> Reply:
        kind = payload.get("type")
        if kind == PING:
            return Reply({"type": PONG})
        if kind == APPLICATION_COMMAND:
            return self.command(payload)
        if kind == MESSAGE_COMPONENT:
            return self.component(payload)
        return Reply(_message(render.notice("Sorry, I can't handle that kind of interaction.")))

    def shutdown(self) -> None:
        """Finish the answers already acknowledged (deferred edits included)."""
        self._workers.shutdown(wait=True)

    # -- commands ---------------------------------------------------------------------

    def command(self, payload: dict) -> Reply:
        name = (payload.get("data") or {}).get("name")
        question = option(payload, "question").strip()
        if name not in COMMAND_NAMES:
            return Reply(_message(render.notice(f"Unknown command: /{name}")))
        if name == "mle-vs-swe" and not question:
            return self._respond(payload, lambda: render.overview_message(self.engine.overview()))
        if not question:  # Discord enforces /career's required option; be kind anyway
            return Reply(
                _message(
                    render.notice("Ask a question, e.g. `/career question: What does an ML engineer do?`")
                )
            )
        return self._respond(payload, lambda: self.answer_data(question, entry=f"command:/{name}"))

    def _respond(self, payload: dict, build: Callable[[], dict], ephemeral: bool = True) -> Reply:
        """Type 4 with the answer if it is ready in time; otherwise type 5 and a webhook edit."""
        if self.rest is None:
            return Reply(_message(build()))
        future = self._workers.submit(build)
        if not self.defer:
            try:
                return Reply(_message(future.result(timeout=self.defer_after)))
            except FutureTimeout:
                logger.info("interaction %s: answer not ready in time, deferring", payload.get("id"))

        def after_send() -> None:
            # Queued behind its own build (FIFO), so waiting on it in a worker cannot deadlock.
            try:
                self._workers.submit(self._deliver, payload, future, ephemeral)
            except RuntimeError:  # shutting down: deliver here rather than drop an acknowledged answer
                self._deliver(payload, future, ephemeral)

        body: dict = {
            "type": DEFERRED_CHANNEL_MESSAGE,
            "data": {"flags": render.EPHEMERAL} if ephemeral else {},
        }
        return Reply(body, after_send)

    def _deliver(self, payload: dict, future: Future, ephemeral: bool) -> None:
        """Edit the deferred answer in; if that fails for good, say so in a follow-up."""
        assert self.rest is not None  # only deferred when there is a REST client
        interaction = payload.get("id")
        app_id = str(payload.get("application_id") or self.application_id or "")
        token = str(payload.get("token") or "")
        try:
            data = dict(future.result())
        except Exception:
            logger.exception("interaction %s: building the deferred answer failed", interaction)
            data = render.notice("Sorry, something went wrong while answering. Please try again.")
        data.pop("flags", None)  # the deferral already chose ephemeral or public
        try:
            self.rest.edit_original(app_id, token, data)
            return
        except DiscordAPIError as exc:
            logger.error("interaction %s: editing the deferred answer failed: %s", interaction, exc)
        sorry = render.notice("Sorry, I couldn't post the answer. Please try again.", ephemeral=ephemeral)
        try:
            self.rest.followup(app_id, token, sorry)
        except DiscordAPIError as exc:
            logger.error("interaction %s: the follow-up failed too: %s", interaction, exc)

    def answer_data(
        self, question: str, *, entry: str, ephemeral: bool = True, asked_by: str | None = None
    ) -> dict:
        asked = self.answering.ask(question, platform=PLATFORM, entry=entry)
        if asked.answer is None:
            return render.notice(f"I couldn't read that as a question: {asked.problem}", ephemeral=ephemeral)
        self.answering.remember_unanswered(asked, PLATFORM)
        return render.answer_message(
            asked.answer, examples=self.engine.example_questions(), ephemeral=ephemeral, asked_by=asked_by
        )

    # -- buttons ------------------------------------------------------------------------

    def component(self, payload: dict) -> Reply:
        custom_id = str((payload.get("data") or {}).get("custom_id") or "")
        message = payload.get("message") or {}
        question = render.unescape_question(str(message.get("content") or ""))
        expired = Reply(_message(render.notice("That button has expired. Please ask again.")))
        if custom_id in (render.VOTE_UP, render.VOTE_DOWN):
            return self.vote(payload, "up" if custom_id == render.VOTE_UP else "down", question)
        if custom_id == render.SHARE:
            if not question:
                return expired
            who = user_id(payload)
            return self._respond(
                payload,
                lambda: self.answer_data(question, entry="share", ephemeral=False, asked_by=who),
                ephemeral=False,
            )
        if custom_id.startswith(render.ASK_PREFIX):
            example = render.example_question(custom_id, self.engine.example_questions())
            if example is None:
                return expired
            return self._respond(payload, lambda: self.answer_data(example, entry="example"))
        return expired

    def vote(self, payload: dict, vote: str, question: str) -> Reply:
        """Store the vote (one per person and answer; a second click replaces it) and show it."""
        answer = self.answering.ask(question, platform=PLATFORM, entry="vote").answer if question else None
        hits = answer.hits if answer is not None else ()
        message = payload.get("message") or {}
        saved = True
        try:
            self.store.record_vote(
                VoteRecord(
                    platform="discord",
                    answer_key=str(message.get("id") or ""),
                    user=user_id(payload),
                    vote=vote,
                    question=question,
                    passage_ids=tuple(h.passage_id for h in hits),
                    scores=tuple(h.score for h in hits),
                    channel=str(payload.get("channel_id") or "") or None,
                )
            )
        except StoreError:
            saved = False
            logger.error("interaction %s: vote not saved", payload.get("id"), exc_info=True)
        if message_is_ephemeral(message):
            # Only the asker sees this message: show the recorded vote in place of the buttons.
            return Reply(
                {
                    "type": UPDATE_MESSAGE,
                    "data": {
                        "components": render.recorded_vote_components(vote, saved),
                        "allowed_mentions": render.NO_MENTIONS,
                    },
                }
            )
        # A shared answer is everyone's: updating it would show one person's vote to all and
        # take the buttons from the others, so the voter gets a private confirmation instead.
        return Reply(_message(render.vote_notice(vote, saved)))
