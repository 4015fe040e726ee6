"""The Discord gateway worker (Procfile `discord:`, run exactly one copy).

HTTP interactions cannot see @mentions, DMs or joins; this worker does. Discord delivers
the content of mentions and DMs without the privileged Message Content intent, so only
the members intent is optional (for welcomes, DISCORD_MEMBERS_INTENT).

Follow-ups (bot.followups): after answering in a thread, or with a reply, the bot follows
that conversation; the next message in the thread, or a reply to one of its answers, is
answered without a mention. Replies that ping the bot (Discord's default) carry their text
without any privileged intent; other thread messages need DISCORD_MESSAGE_CONTENT_INTENT.

Answers carry the same buttons as every other answer (👍/👎, "That answers it", "Ask a
person"; examples and "Ask a person" on a no-answer reply). Their clicks reach one
InteractionHandler either way Discord delivers them: to the web process's
/discord/interactions when the app has an Interactions Endpoint URL, or, without one, over
this gateway as INTERACTION_CREATE, answered here through the interaction's callback.

The handlers are plain async functions over discord.py objects, so tests drive them with
Message and Member objects built from recorded payloads.

SIGTERM (a deploy, a restart): the worker stops taking new events, lets the handlers already
running finish (an answer being sent, a click being answered) and the interaction workers
drain, all within bot/shutdown.py's grace period, then closes the connection and exits 0.
discord.py alone would die on the signal, dropping what was in progress.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import threading
import time
from typing import Any

import aiohttp
import discord
import yarl

from bot.answering import Answering
from bot.discord import render
from bot.discord.interactions import InteractionHandler, Reply
from bot.discord.protocol import MessageFlag, ResponseType
from bot.discord.rest import DiscordAPIError, DiscordREST
from bot.followups import Conversations, FollowUpPolicy
from bot.health import start_heartbeat
from bot.settings import Settings, SettingsError
from bot.shutdown import GRACE_SECONDS, SHUTTING_DOWN, drain
from bot.store import Store, ThreadState
from retrieval import Answer, Engine

logger = logging.getLogger(__name__)
PLATFORM = "discord"

ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)
WELCOME = (
    "Welcome! I'm careerbot. I answer questions about machine learning engineers and software engineers "
    "by quoting a few good articles, with their sources. Mention me with a question, send me a DM, or use "
    "`/career` and `/mle-vs-swe`."
)
HELP = (
    "Ask me a question about machine learning engineers and software engineers, "
    "e.g. mention me with one of these:"
)


def _examples(engine: Engine) -> str:
    return "".join(f"\n• {render.defuse(q)}" for q in engine.example_questions())


def reply_payload(answering: Answering, question: str, entry: str) -> dict:
    """The message for a mention or DM: the answer, public in its channel, no pings, with buttons."""
    return _reply(answering, question, entry)[0]


def _reply(
    answering: Answering,
    question: str,
    entry: str,
    channel: str | None = None,
    user: str | None = None,
) -> tuple[dict, Answer | None]:
    engine = answering.engine
    if not question.strip():
        return render.notice(HELP + _examples(engine), ephemeral=False), None
    asked = answering.ask(question, platform=PLATFORM, entry=entry, channel=channel, user=user)
    if asked.answer is None:
        return render.notice(f"I couldn't read that as a question: {asked.problem}", ephemeral=False), None
    answering.remember_unanswered(asked, PLATFORM)
    return _answer_payload(engine, asked.answer, asked.ask_id), asked.answer


def _answer_payload(engine: Engine, answer: Answer, ask_id: str | None = None) -> dict:
    # Public in the channel, so no Share; the buttons carry the ask id, as on every answer.
    return render.answer_message(
        answer, examples=engine.example_questions(), ephemeral=False, share=False, ask_id=ask_id
    )


class Components(discord.ui.View):
    """Our buttons exactly as bot.discord.render built them, sent through discord.py.

    A View without items of its own: discord.py neither stores nor dispatches it, so every
    click goes to the InteractionHandler (the web route, or this worker's INTERACTION_CREATE).
    """

    def __init__(self, components: list[dict]) -> None:
        super().__init__(timeout=None)
        self._components = components

    def to_components(self) -> list[dict[str, Any]]:
        return self._components


def question_from(message: discord.Message, me: discord.abc.User) -> str:
    """The message text without our own mention (Discord writes it <@id> or <@!id>)."""
    own = re.compile(rf"<@!?{me.id}>")
    return " ".join(own.sub(" ", message.content or "").split())


def _send_kwargs(payload: dict) -> dict:
    kwargs: dict[str, Any] = {
        "content": payload.get("content"),
        "embeds": [discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if payload.get("components"):
        kwargs["view"] = Components(payload["components"])
    return kwargs


async def handle_message(
    message: discord.Message,
    me: discord.abc.User,
    answering: Answering,
    conversations: Conversations | None = None,
) -> bool:
    """Answer a DM, a message that mentions us, or a follow-up in a conversation we answered in;
    True when a reply was sent."""
    if message.author.bot or message.author.id == me.id or message.webhook_id is not None:
        return False
    if message.type not in ANSWERED_TYPES:  # joins, pins, boosts... are not questions
        return False
    # A server message whose guild isn't cached has a PartialMessageable channel with a guild_id.
    is_dm = message.guild is None and getattr(message.channel, "guild_id", None) is None
    addressed = is_dm or any(user.id == me.id for user in message.mentions)
    key, state = _followed(message, conversations)
    if not addressed and state is None:
        return False
    # False when this message was already taken (a second worker copy, a replayed event).
    if not answering.claim_once(f"discord:message:{message.id}"):
        return False
    text = question_from(message, me)
    if conversations is not None and key is not None and state is not None:
        follow_up = conversations.follow_up(
            state, text, PLATFORM, channel=str(message.channel.id), user=str(message.author.id)
        )
        if follow_up is not None and follow_up.answer is not None:
            payload = _answer_payload(answering.engine, follow_up.answer, follow_up.ask_id)
            sent = await _send(message, payload)
            if sent is not None:
                conversations.answered(PLATFORM, key, state, follow_up.answer, follow_up)
                conversations.link(PLATFORM, str(sent.id), key)
            return sent is not None
        if not addressed:  # nothing new on it, and not asked of us: stay out of the conversation
            return False
    payload, answer = _reply(
        answering, text, "dm" if is_dm else "mention", str(message.channel.id), str(message.author.id)
    )
    sent = await _send(message, payload)
    if sent is None:
        return False
    if conversations is not None and answer is not None and answer.answered:
        key = key or _conversation_key(message)
        conversations.started(PLATFORM, key, text, answer)
        conversations.link(PLATFORM, str(sent.id), key)
    return True


async def _send(message: discord.Message, payload: dict) -> discord.Message | None:
    try:
        return await message.reply(mention_author=False, **_send_kwargs(payload))
    except discord.HTTPException as exc:
        logger.error("message %s: reply failed: %s", message.id, exc)
        return None


THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)


def _in_thread(message: discord.Message) -> bool:
    # An uncached thread arrives as a PartialMessageable that may still know its type.
    return (
        isinstance(message.channel, discord.Thread) or getattr(message.channel, "type", None) in THREAD_TYPES
    )


def _conversation_key(message: discord.Message) -> str:
    """A thread is one conversation; elsewhere, the reply chain that starts at this message."""
    return f"thread:{message.channel.id}" if _in_thread(message) else f"reply:{message.id}"


def _followed(
    message: discord.Message, conversations: Conversations | None
) -> tuple[str | None, ThreadState | None]:
    """The conversation this message continues, and its state while we still follow it:
    a thread we answered in, or a reply to one of our answers."""
    if conversations is None:
        return None, None
    if _in_thread(message):
        key = f"thread:{message.channel.id}"
        state = conversations.following(PLATFORM, key)
        if state is not None:
            return key, state
    reference = message.reference
    if reference is not None and reference.message_id is not None:
        replied_to = conversations.conversation_of(PLATFORM, str(reference.message_id))
        if replied_to is not None:
            return replied_to, conversations.following(PLATFORM, replied_to)
    return (f"thread:{message.channel.id}", None) if _in_thread(message) else (None, None)


def welcome_text(engine: Engine) -> str:
    # Indexing, not slicing: a saved index (CAREERBOT_INDEX) loads documents lazily, without slices.
    shown = range(min(10, len(engine.documents)))
    titles = "".join(f"\n• {render.defuse(engine.documents[i].title)}" for i in shown)
    text = f"{WELCOME}\n\nI answer from:{titles}\n\nFor example:{_examples(engine)}"
    return render.truncate(text, render.CONTENT_LIMIT)


async def handle_member_join(member: discord.Member, answering: Answering) -> bool:
    """Welcome a person once (claimed in the store first; released if the DM fails)."""
    if member.bot or not answering.claim_welcome(PLATFORM, str(member.id)):
        return False
    try:
        await member.send(
            content=welcome_text(answering.engine), allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException as exc:
        logger.error("welcome for %s failed (%s); will try again on their next join", member.id, exc)
        answering.release_welcome(PLATFORM, str(member.id))
        return False
    return True


def intents(settings: Settings) -> discord.Intents:
    """Guild and DM messages (content of mentions and DMs comes without message_content);
    members only when welcomes are wanted, message content only for follow-ups in threads
    without a mention (both privileged intents, enabled in the portal)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.members = settings.discord_members_intent
    wanted.message_content = settings.discord_message_content_intent
    return wanted


# -- interactions delivered over the gateway (an app without an Interactions Endpoint URL) -------

SOMETHING_WRONG: dict = {
    "type": ResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
    "data": {"content": "Sorry, something went wrong.", "flags": MessageFlag.EPHEMERAL},
}


def gateway_interaction(raw: object) -> dict | None:
    """The interaction in one raw gateway message (discord.py's socket_raw_receive), or None."""
    # Most gateway messages are something else: not worth decoding a second time.
    if isinstance(raw, str) and "INTERACTION_CREATE" not in raw:
        return None
    if isinstance(raw, bytes) and b"INTERACTION_CREATE" not in raw:
        return None
    try:
        message = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("op") != 0 or message.get("t") != "INTERACTION_CREATE":
        return None
    data = message.get("d")
    return data if isinstance(data, dict) else None


def respond_to_interaction(raw: dict, handler: InteractionHandler, rest: DiscordREST) -> bool:
    """Handle an interaction the gateway delivered, as the web route would, and send the response
    to its callback endpoint; then the reply's after-send work (a deferred edit). Blocking: run it
    in a thread. True when a response was sent."""
    if not handler.first_delivery(raw):
        return False
    interaction = str(raw.get("id") or "")
    try:
        reply = handler.handle(raw)
    except Exception:
        # One error policy: log with the interaction id, answer the person kindly, keep serving.
        logger.exception("interaction %s failed", interaction[:30])
        reply = Reply(SOMETHING_WRONG)
    try:
        rest.callback(interaction, str(raw.get("token") or ""), reply.body)
    except (DiscordAPIError, ValueError) as exc:
        logger.error("interaction %s: the response was not delivered: %s", interaction[:30], exc)
        return False
    if reply.after_send is not None:
        reply.after_send()
    return True


class GatewayClient(discord.Client):
    """discord.py's client with our handlers attached; `interactions` answers the clicks that
    come over the gateway (drained when the worker stops)."""

    def __init__(
        self, settings: Settings, answering: Answering, interactions: InteractionHandler, rest: DiscordREST
    ) -> None:
        # No member chunking: a welcome needs the join event only, not every server's member list.
        # Debug events: socket_raw_receive carries an interaction's payload as Discord sent it.
        super().__init__(
            intents=intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            enable_debug_events=True,
        )
        self.answering = answering
        self.interactions = interactions
        self.rest = rest
        self.conversations = Conversations(answering, FollowUpPolicy.from_settings(settings))
        self.welcomes = settings.discord_members_intent
        self.stopping = False  # set by finish_handlers(): no new event is handled
        self._handling: set[asyncio.Task] = set()  # discord.py runs each event as a task

    def _start_handling(self) -> bool:
        """Count this event's task as in progress, for finish_handlers(); False once stopping."""
        if self.stopping:
            return False
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
        return True

    async def finish_handlers(self, timeout: float) -> int:
        """Stop taking events and wait (at most `timeout` seconds) for the handlers in progress;
        returns how many did not finish."""
        self.stopping = True
        pending = {task for task in self._handling if not task.done()}
        logger.info("shutting down: finishing %d answer(s) in progress", len(pending))
        if not pending:
            return 0
        _, unfinished = await asyncio.wait(pending, timeout=timeout)
        if unfinished:
            logger.warning(
                "shutdown: %d answer(s) still in progress after %.0f s: not delivered",
                len(unfinished),
                timeout,
            )
        return len(unfinished)

    async def on_message(self, message: discord.Message) -> None:
        if self.user is not None and self._start_handling():
            await handle_message(message, self.user, self.answering, self.conversations)

    async def on_member_join(self, member: discord.Member) -> None:
        if self.welcomes and self._start_handling():
            await handle_member_join(member, self.answering)

    async def on_socket_raw_receive(self, raw: object) -> None:
        payload = gateway_interaction(raw)
        if payload is None:
            return
        if not self._start_handling():
            logger.info("interaction %s not answered: shutting down", str(payload.get("id"))[:30])
            return
        await asyncio.to_thread(respond_to_interaction, payload, self.interactions, self.rest)


async def serve_until_stopped(client: GatewayClient, token: str) -> float | None:
    """client.start(token) until it ends by itself (its error is raised) or SIGTERM comes: then
    finish the handlers in progress within the grace period and close the connection. Returns
    the grace period's end (time.monotonic()) after a SIGTERM, None otherwise."""
    stop = asyncio.Event()
    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        running = asyncio.ensure_future(client.start(token))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if running.done():
            running.result()
            return None
        deadline = time.monotonic() + GRACE_SECONDS
        SHUTTING_DOWN.set()  # rate-limit waits in the interaction workers end now (bot/shutdown.py)
        await client.finish_handlers(GRACE_SECONDS)
        await client.close()
        await running
        return deadline


def build_client(settings: Settings, engine: Engine, store: Store) -> GatewayClient:
    """A discord.py client with our handlers attached (not yet connected)."""
    answering = Answering(
        engine, store, log_questions=settings.careerbot_log_questions, helpers=settings.careerbot_helpers
    )
    rest = DiscordREST(settings.discord_api_url, settings.discord_bot_token)
    interactions = InteractionHandler(
        answering,
        rest,
        defer=settings.discord_defer,
        application_id=settings.discord_application_id,
        helpers=settings.careerbot_helpers,
    )
    return GatewayClient(settings, answering, interactions, rest)


def _not_login_noise(record: logging.LogRecord) -> bool:
    # discord.py says "logging in using static token" at INFO before every start; with
    # Discord unreachable it would precede the one `careerbot: error:` line the CLI prints.
    return record.msg != "logging in using static token"


def run_gateway(settings: Settings, engine: Engine, store: Store) -> None:
    """Connect to the gateway and serve until stopped; a refused token or intent is a SettingsError."""
    settings.require("discord_bot_token")
    # The REST base is the same setting the interactions and registration use.
    discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    client = build_client(settings, engine, store)
    settings.configure_logging()
    discord_client_log = logging.getLogger("discord.client")
    if _not_login_noise not in discord_client_log.filters:
        discord_client_log.addFilter(_not_login_noise)
    # Healthy = identified and the WebSocket open: discord.py keeps "ready" set while it
    # reconnects, so the socket's own state is checked too.
    heartbeat = start_heartbeat(
        settings,
        "discord-gateway",
        lambda: client.is_ready() and not client.is_closed() and bool(getattr(client.ws, "open", False)),
    )
    deadline: float | None = None
    try:
        deadline = asyncio.run(serve_until_stopped(client, settings.discord_bot_token or ""))
    except KeyboardInterrupt:  # Ctrl-C: as discord.py's Client.run treats it
        pass
    except discord.LoginFailure:
        raise SettingsError(
            "DISCORD_BOT_TOKEN was refused by Discord: reset it in the developer portal"
        ) from None
    except discord.PrivilegedIntentsRequired:
        if settings.discord_members_intent and not settings.discord_message_content_intent:
            raise SettingsError(
                "DISCORD_MEMBERS_INTENT is true but the Server Members Intent is off in the developer portal "
                "(Bot page): turn it on, or unset DISCORD_MEMBERS_INTENT"
            ) from None
        if settings.discord_message_content_intent and not settings.discord_members_intent:
            raise SettingsError(
                "DISCORD_MESSAGE_CONTENT_INTENT is true but the Message Content Intent is off in the developer "
                "portal (Bot page): turn it on, or unset DISCORD_MESSAGE_CONTENT_INTENT"
            ) from None
        raise SettingsError(
            "DISCORD_MEMBERS_INTENT and DISCORD_MESSAGE_CONTENT_INTENT are true but Discord refused a privileged "
            "intent: turn on the Server Members and Message Content intents in the developer portal (Bot page), "
            "or unset the variables"
        ) from None
    except discord.ConnectionClosed as exc:
        if exc.code == 4004:  # authentication failed
            raise SettingsError("DISCORD_BOT_TOKEN was refused by Discord's gateway") from None
        raise
    except (aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        # Discord (or DISCORD_API_URL) unreachable: one line, not aiohttp's traceback.
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SettingsError(
            f"cannot reach Discord at DISCORD_API_URL={settings.discord_api_url}: {reason[:300]}"
        ) from None
    finally:
        # The answers already acknowledged (deferred edits), within what is left of the grace period.
        left = GRACE_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
        drain([client.interactions.executor], left)
        if heartbeat is not None:
            heartbeat.stop()
