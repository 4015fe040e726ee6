"""Handling one Discord interaction payload: PING, the commands, autocomplete, and the buttons.

Commands: /career and /mle-vs-swe (chat input), and "Ask careerbot" (a message command:
the clicked message's text is the question, answered privately to the clicker, with Share
posting the answer as a reply to that message). Autocomplete (type 4) offers up to 25
questions the corpus answers, ranked against what has been typed, without waiting on
anything slow.

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
from datetime import UTC, datetime

from bot.answering import Answering
from bot.discord import render
from bot.discord.commands import ASK_MESSAGE
from bot.discord.protocol import (
    CommandType,
    ContextType,
    IntegrationType,
    Interaction,
    InteractionType,
    Message,
    MessageFlag,
    ResponseType,
)
from bot.discord.rest import DiscordAPIError, DiscordREST
from bot.helpers import NO_HELPERS_TEXT, resolve_helpers
from bot.store import DOWN_REASONS, Handoff, StoreError, VoteRecord, new_ask_id
from bot.suggestions import QuestionSuggestions
from bot.text import truncate
from retrieval.question import MAX_QUESTION_CHARS

logger = logging.getLogger(__name__)

DEFER_AFTER_SECONDS = 2.0

COMMAND_NAMES = ("mle-vs-swe", "career")
DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01T00:00:00Z, the zero of snowflake timestamps
PLATFORM = "discord"


@dataclass
class Reply:
    """What to answer Discord now, and what to do once that answer has been sent."""

    body: dict
    after_send: Callable[[], None] | None = None


def click_time(payload: Interaction) -> datetime | None:
    """When the person clicked: the interaction id is a snowflake whose top bits are
    milliseconds since Discord's epoch. None (arrival time) for an id that is not one."""
    raw = payload.id
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
        return None
    millis = (int(raw) >> 22) + DISCORD_EPOCH_MS
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _message(data: dict) -> dict:
    return {"type": ResponseType.CHANNEL_MESSAGE_WITH_SOURCE, "data": data}


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
        suggestions: QuestionSuggestions | None = None,
        helpers: str = "",
    ) -> None:
        self.answering = answering
        self.helpers = helpers  # CAREERBOT_HELPERS; a channel override in the store wins
        self.engine = answering.engine
        self.store = answering.store
        self.suggestions = suggestions or QuestionSuggestions(answering.engine)
        self.rest = rest
        self.defer = defer and rest is not None
        self.defer_after = defer_after
        self.application_id = application_id
        # Answers being built or delivered after the response; drained on shutdown (bot/shutdown.py).
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="discord-answer")

    def first_delivery(self, payload: dict) -> bool:
        """False for an interaction already handled (a signed request replayed within the
        signature window). PINGs and autocompletes change nothing and are not claimed; without
        the store every delivery counts as the first."""
        if payload.get("type") in (InteractionType.PING, InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE):
            return True
        if not payload.get("id"):
            return True
        return self.answering.claim_once(f"discord:interaction:{str(payload['id'])[:100]}")

    def handle(self, raw: dict) -> Reply:
        """One interaction payload (pydantic's ValidationError for a shape Discord never sends)."""
        payload = Interaction.model_validate(raw)
        if payload.type == InteractionType.PING:
            return Reply({"type": ResponseType.PONG})
        if payload.type == InteractionType.APPLICATION_COMMAND:
            return self.command(payload)
        if payload.type == InteractionType.MESSAGE_COMPONENT:
            return self.component(payload)
        if payload.type == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            return self.autocomplete(payload)
        if payload.type == InteractionType.MODAL_SUBMIT:
            return self.modal_submit(payload)
        return Reply(_message(render.notice("Sorry, I can't handle that kind of interaction.")))

    def shutdown(self) -> None:
        """Finish the answers already acknowledged (deferred edits included)."""
        self.executor.shutdown(wait=True)

    # -- commands ---------------------------------------------------------------------

    def command(self, payload: Interaction) -> Reply:
        if payload.data.type == CommandType.MESSAGE:
            return self.message_command(payload)
        name = payload.data.name
        question = payload.option("question").strip()
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
        channel, who = payload.channel_id or None, payload.user_id or None
        return self._respond(
            payload, lambda: self.answer_data(question, entry=f"command:/{name}", channel=channel, user=who)
        )

    def _respond(self, payload: Interaction, build: Callable[[], dict], ephemeral: bool = True) -> Reply:
        """Type 4 with the answer if it is ready in time; otherwise type 5 and a webhook edit."""
        if self.rest is None:
            return Reply(_message(build()))
        future = self.executor.submit(build)
        if not self.defer:
            try:
                return Reply(_message(future.result(timeout=self.defer_after)))
            except FutureTimeout:
                logger.info("interaction %s: answer not ready in time, deferring", payload.id)

        def after_send() -> None:
            # Queued behind its own build (FIFO), so waiting on it in a worker cannot deadlock.
            try:
                self.executor.submit(self._deliver, payload, future, ephemeral)
            except RuntimeError:  # shutting down: deliver here rather than drop an acknowledged answer
                self._deliver(payload, future, ephemeral)

        body: dict = {
            "type": ResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            "data": {"flags": MessageFlag.EPHEMERAL} if ephemeral else {},
        }
        return Reply(body, after_send)

    def _deliver(self, payload: Interaction, future: Future, ephemeral: bool) -> None:
        """Edit the deferred answer in; if that fails for good, say so in a follow-up."""
        assert self.rest is not None  # only deferred when there is a REST client
        interaction = payload.id
        app_id = payload.application_id or self.application_id or ""
        token = payload.token
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
            logger.error(
                "interaction %s: answer not delivered to channel %s (the follow-up failed too): %s",
                interaction,
                payload.channel_id or "(unknown)",
                exc,
            )

    def answer_data(
        self,
        question: str,
        *,
        entry: str,
        ephemeral: bool = True,
        asked_by: str | None = None,
        reply_to: str | None = None,
        channel: str | None = None,
        user: str | None = None,
    ) -> dict:
        asked = self.answering.ask(
            question, platform=PLATFORM, entry=entry, channel=channel, user=user or asked_by
        )
        if asked.answer is None:
            return render.notice(f"I couldn't read that as a question: {asked.problem}", ephemeral=ephemeral)
        self.answering.remember_unanswered(asked, PLATFORM)
        return render.answer_message(
            asked.answer,
            examples=self.engine.example_questions(),
            ephemeral=ephemeral,
            asked_by=asked_by,
            reply_to=reply_to,
            ask_id=asked.ask_id,
        )

    # -- buttons ------------------------------------------------------------------------

    def component(self, payload: Interaction) -> Reply:
        custom_id = payload.data.custom_id
        question = render.unescape_question(payload.message.content)
        expired = Reply(_message(render.notice("That button has expired. Please ask again.")))
        for base, kind in ((render.VOTE_UP, "up"), (render.VOTE_DOWN, "down")):
            matched, ask_id = render.split_ask(custom_id, base)
            if matched:
                return self.vote(payload, kind, question, ask_id)
        matched, ask_id = render.split_ask(custom_id, render.RESOLVED)
        if matched:
            return self.mark_answered(payload, ask_id)
        matched, ask_id = render.split_ask(custom_id, render.HANDOFF)
        if matched:
            return self.hand_off(payload, question, ask_id)
        if custom_id.startswith(render.HANDOFF_RESOLVE):
            return self.resolve(payload, custom_id[len(render.HANDOFF_RESOLVE) :])
        if custom_id == render.SHARE:
            if not question:
                return expired
            who = payload.user_id
            return self._respond(
                payload,
                lambda: self.answer_data(question, entry="share", ephemeral=False, asked_by=who),
                ephemeral=False,
            )
        if custom_id.startswith(render.SHARE_REPLY_PREFIX):
            target = render.share_reply_target(custom_id)
            if not question or target is None:
                return expired
            return self.share_reply(payload, question, target)
        if custom_id.startswith(render.ASK_PREFIX):
            example = render.example_question(custom_id, self.engine.example_questions())
            if example is None:
                return expired
            where, clicker = payload.channel_id or None, payload.user_id or None
            return self._respond(
                payload, lambda: self.answer_data(example, entry="example", channel=where, user=clicker)
            )
        return expired

    def vote(self, payload: Interaction, vote: str, question: str, ask_id: str | None = None) -> Reply:
        """Store the vote (one per person and answer; a second click replaces it) and show it.
        A 👎 is answered with the optional reason modal; its submission shows the vote."""
        answer = self.answering.ask(question, platform=PLATFORM, entry="vote").answer if question else None
        hits = answer.hits if answer is not None else ()
        message = payload.message
        saved = True
        try:
            self.store.record_vote(
                VoteRecord(
                    platform="discord",
                    answer_key=message.id,
                    user=payload.user_id,
                    vote=vote,
                    question=question,
                    passage_ids=tuple(h.passage_id for h in hits),
                    scores=tuple(h.score for h in hits),
                    channel=payload.channel_id or None,
                    ask_id=ask_id,
                ),
                now=click_time(payload),
            )
        except StoreError:
            saved = False
            logger.error("interaction %s: vote not saved", payload.id, exc_info=True)
        if vote == "down" and saved and message.id:
            return Reply(render.reason_modal(message.id))
        return self._show_vote(message, vote, saved, ask_id)

    def _show_vote(self, message: Message, vote: str, saved: bool, ask_id: str | None) -> Reply:
        if message.is_ephemeral:
            # Only the asker sees this message: show the recorded vote in place of the buttons.
            return Reply(
                {
                    "type": ResponseType.UPDATE_MESSAGE,
                    "data": {
                        "components": render.recorded_vote_components(vote, saved, ask_id),
                        "allowed_mentions": render.NO_MENTIONS,
                    },
                }
            )
        # A shared answer is everyone's: updating it would show one person's vote to all and
        # take the buttons from the others, so the voter gets a private confirmation instead.
        return Reply(_message(render.vote_notice(vote, saved)))

    # -- resolution: the 👎 reason, "That answers it", "Ask a person", "Mark resolved" --------

    def modal_submit(self, payload: Interaction) -> Reply:
        """The 👎 reason: stored with the vote; then the vote is shown as after any vote."""
        custom_id = payload.data.custom_id
        if not custom_id.startswith(render.REASON_MODAL):
            return Reply(_message(render.notice("That form has expired.")))
        message = payload.message
        answer_key = message.id or custom_id[len(render.REASON_MODAL) :]
        values = render.modal_values({"components": payload.data.components})
        choice = values.get(render.REASON_CHOICE)
        key = choice[0] if isinstance(choice, list) and choice else None
        text = values.get(render.REASON_TEXT)
        text = text if isinstance(text, str) else ""
        if key not in DOWN_REASONS:
            key = "other" if text.strip() else None
        if key is not None:
            try:
                self.store.set_vote_reason(PLATFORM, answer_key, payload.user_id, key, text)
            except StoreError:
                logger.error("interaction %s: 👎 reason not saved", payload.id, exc_info=True)
        ask_id = next(
            (
                render.split_ask(str(c.get("custom_id") or ""), render.RESOLVED)[1]
                for row in message.components
                for c in (row.get("components") or [])
                if isinstance(c, dict) and str(c.get("custom_id") or "").startswith(render.RESOLVED)
            ),
            None,
        )
        return self._show_vote(message, "down", True, ask_id)

    def mark_answered(self, payload: Interaction, ask_id: str | None) -> Reply:
        saved = True
        if ask_id:
            try:
                self.store.mark_answered(ask_id, payload.user_id)
            except StoreError:
                saved = False
                logger.error("interaction %s: 'that answers it' not saved", payload.id, exc_info=True)
        text = (
            "Thanks! Glad that answered it."
            if saved
            else "Sorry, that could not be saved. Please try again later."
        )
        return Reply(_message(render.notice(text)))

    def hand_off(self, payload: Interaction, question: str, ask_id: str | None) -> Reply:
        """A public reply mentioning the configured helpers (or saying whom to ask), once per answer."""
        channel = payload.channel_id or None
        asker = payload.user_id
        helpers = resolve_helpers(self.helpers or self.answering.helpers, self.store, PLATFORM, channel)
        handoff_id = new_ask_id()
        try:
            stored = self.store.open_handoff(
                Handoff(
                    handoff_id=handoff_id,
                    platform=PLATFORM,
                    ask_id=ask_id,
                    channel=channel,
                    question=question,
                    asker=asker,
                    helpers=helpers.ids(PLATFORM),
                )
            )
        except StoreError:
            logger.error("interaction %s: hand-off not saved", payload.id, exc_info=True)
            return Reply(
                _message(render.notice("Sorry, I couldn't hand this over right now. Please try again later."))
            )
        if stored.handoff_id != handoff_id:
            return Reply(_message(render.notice("People were already asked about this question here.")))
        return Reply(_message(render.handoff_message(helpers, asker, question, handoff_id, NO_HELPERS_TEXT)))

    def resolve(self, payload: Interaction, handoff_id: str) -> Reply:
        """ "Mark resolved": the asker, a configured user or a member of a configured role."""
        user = payload.user_id
        gone = Reply(_message(render.notice("That hand-off is no longer known (or already resolved).")))
        try:
            stored = self.store.get_handoff(handoff_id) if handoff_id.isalnum() else None
        except StoreError:
            logger.error("interaction %s: hand-off not read", payload.id, exc_info=True)
            stored = None
        if stored is None or stored.resolved:
            return gone
        roles = set(payload.member.roles) if payload.member else set()
        allowed = (
            user == stored.asker
            or f"user:{user}" in stored.helpers
            or any(f"role:{role}" in stored.helpers for role in roles)
        )
        if not allowed:
            return Reply(
                _message(
                    render.notice("Only the person who asked or one of the helpers can mark this resolved.")
                )
            )
        try:
            if not self.store.resolve_handoff(handoff_id, user):
                return gone
        except StoreError:
            logger.error("interaction %s: resolution not saved", payload.id, exc_info=True)
            return Reply(_message(render.notice("Sorry, that could not be saved. Please try again later.")))
        return Reply(
            {
                "type": ResponseType.UPDATE_MESSAGE,
                "data": render.resolved_message(payload.message.content, user),
            }
        )

    # -- autocomplete, "Ask careerbot", Share as a reply -----------------------------------

    def autocomplete(self, payload: Interaction) -> Reply:
        """Type 8 with up to 25 questions matching the focused option's text (never slow:
        the candidates are ranked in memory, nothing is asked of the engine or the store)."""
        focused = payload.data.focused
        typed = focused.value if focused else ""
        questions = self.suggestions.rank(typed if isinstance(typed, str) else "")
        return Reply(
            {
                "type": ResponseType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
                "data": {"choices": render.autocomplete_choices(questions)},
            }
        )

    def message_command(self, payload: Interaction) -> Reply:
        """ "Ask careerbot" on a message: its text is the question; the answer is private to the
        clicker, with Share posting it as a reply to that message."""
        data = payload.data
        if data.name != ASK_MESSAGE:
            return Reply(_message(render.notice(f"Unknown command: {data.name}")))
        target = data.target_id
        message = data.resolved.messages.get(target)
        content = message.content if message else ""
        # One of our own answers: ask its question again, not the "**Q:**" markup around it.
        text = " ".join((render.unescape_question(content) or content).split())
        if not target.isdigit() or not text:
            return Reply(
                _message(
                    render.notice(
                        "That message has no text I can read as a question "
                        "(images, embeds and stickers aren't questions)."
                    )
                )
            )
        question = truncate(text, MAX_QUESTION_CHARS)  # a long message is asked by its beginning
        return self._respond(
            payload, lambda: self.answer_data(question, entry="message-command", reply_to=target)
        )

    def share_reply(self, payload: Interaction, question: str, target: str) -> Reply:
        """Post the answer as a reply to message `target`, once per person and message.

        Acknowledged at once (type 6); the reply is posted after the response has gone out.
        With the bot in the channel (server install, or a DM with the bot) it is a real reply;
        otherwise (a user install in a server or a group DM) it is a public follow-up to the
        interaction that links to the message. Discord makes it ephemeral itself where the
        server does not allow external apps.
        """
        who = payload.user_id
        channel = payload.channel_id
        if not self.answering.claim_once(f"discord:share-reply:{target}:{who}"):
            return Reply(_message(render.notice("You already shared this answer as a reply.")))
        if self.rest is None:
            return Reply(_message(render.notice("Sorry, sharing isn't available right now.")))

        def after_send() -> None:
            try:
                self.executor.submit(self._post_reply, payload, question, target, channel, who)
            except RuntimeError:  # shutting down: post here rather than drop an acknowledged share
                self._post_reply(payload, question, target, channel, who)

        return Reply({"type": ResponseType.DEFERRED_UPDATE_MESSAGE}, after_send)

    def _post_reply(self, payload: Interaction, question: str, target: str, channel: str, who: str) -> None:
        assert self.rest is not None
        interaction = payload.id
        data = self.answer_data(question, entry="share-reply", ephemeral=False, asked_by=who)
        data.pop("flags", None)
        if _bot_can_post(payload) and channel.isdigit():
            reply = {
                **data,
                "message_reference": {
                    "message_id": target,
                    "channel_id": channel,
                    "fail_if_not_exists": False,
                },
            }
            try:
                self.rest.request("POST", f"/channels/{channel}/messages", reply)
                return
            except DiscordAPIError as exc:
                logger.warning(
                    "interaction %s: replying in the channel failed (%s); following up", interaction, exc
                )
        link = render.jump_link(payload.guild_id or None, channel, target)
        content = truncate(f"Re: {link}\n{data.get('content', '')}", render.CONTENT_LIMIT)
        app_id = payload.application_id or self.application_id or ""
        try:
            # One follow-up: user-installed apps may send at most five per interaction.
            self.rest.followup(app_id, payload.token, {**data, "content": content})
        except DiscordAPIError as exc:
            logger.error("interaction %s: sharing as a reply failed: %s", interaction, exc)


def _bot_can_post(payload: Interaction) -> bool:
    """Whether our bot user is in the channel: a DM with the bot, or a server that installed us
    (authorizing_integration_owners has "0"). A user install elsewhere has no bot there."""
    context = payload.context
    owners = payload.authorizing_integration_owners
    if context == ContextType.BOT_DM:
        return True
    if context == ContextType.GUILD or (context is None and payload.guild_id):
        # Older payloads carry no owners: a guild interaction then means a server install.
        return owners is None or str(int(IntegrationType.GUILD_INSTALL)) in owners
    return False
