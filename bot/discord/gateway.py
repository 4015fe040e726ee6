"""The Discord gateway worker (Procfile `discord:`, run exactly one copy).

HTTP interactions cannot see @mentions, DMs or joins; this worker does. Discord delivers
the content of mentions and DMs without the privileged Message Content intent, so only
the members intent is optional (for welcomes, DISCORD_MEMBERS_INTENT).

Follow-ups (bot.followups): after answering in a thread, or with a reply, the bot follows
that conversation; the next message in the thread, or a reply to one of its answers, is
answered without a mention. Replies that ping the bot (Discord's default) carry their text
without any privileged intent; other thread messages need DISCORD_MESSAGE_CONTENT_INTENT.

The handlers are plain async functions over discord.py objects, so tests drive them with
Message and Member objects built from recorded payloads.
"""

from __future__ import annotations

import logging
import re

import aiohttp
import discord
import yarl

from bot.answering import Answering
from bot.discord import render
from bot.followups import Conversations, FollowUpPolicy
from bot.health import start_heartbeat
from bot.settings import Settings, SettingsError
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
    """The message for a mention or DM: the answer, public in its channel, no pings, no buttons."""
    return _reply(answering, question, entry)[0]


def _reply(answering: Answering, question: str, entry: str) -> tuple[dict, Answer | None]:
    engine = answering.engine
    if not question.strip():
        return render.notice(HELP + _examples(engine), ephemeral=False), None
    asked = answering.ask(question, platform=PLATFORM, entry=entry)
    if asked.answer is None:
        return render.notice(f"I couldn't read that as a question: {asked.problem}", ephemeral=False), None
    answering.remember_unanswered(asked, PLATFORM)
    return _answer_payload(engine, asked.answer), asked.answer


def _answer_payload(engine: Engine, answer: Answer) -> dict:
    # Plain replies: the bot's messages keep working when the web process (which receives
    # button clicks) isn't running; the examples are listed in the text instead.
    return render.answer_message(
        answer, examples=engine.example_questions(), ephemeral=False, share=False, buttons=False
    )


def question_from(message: discord.Message, me: discord.abc.User) -> str:
    """The message text without our own mention (Discord writes it <@id> or <@!id>)."""
    own = re.compile(rf"<@!?{me.id}>")
    return " ".join(own.sub(" ", message.content or "").split())


def _send_kwargs(payload: dict) -> dict:
    return {
        "content": payload.get("content"),
        "embeds": [discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        "allowed_mentions": discord.AllowedMentions.none(),
    }


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
        follow_up = conversations.ask(state, text, PLATFORM)
        if follow_up is not None:
            sent = await _send(message, _answer_payload(answering.engine, follow_up))
            if sent is not None:
                conversations.answered(PLATFORM, key, state, follow_up)
                conversations.link(PLATFORM, str(sent.id), key)
            return sent is not None
        if not addressed:  # nothing new on it, and not asked of us: stay out of the conversation
            return False
    payload, answer = _reply(answering, text, "dm" if is_dm else "mention")
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


def build_client(settings: Settings, engine: Engine, store: Store) -> discord.Client:
    """A discord.py client with our handlers attached (not yet connected)."""
    # No member chunking: a welcome needs the join event only, not every server's member list.
    client = discord.Client(
        intents=intents(settings),
        allowed_mentions=discord.AllowedMentions.none(),
        chunk_guilds_at_startup=False,
    )
    answering = Answering(engine, store, log_questions=settings.careerbot_log_questions)
    conversations = Conversations(answering, FollowUpPolicy.from_settings(settings))

    @client.event
    async def on_message(message: discord.Message) -> None:
        if client.user is not None:
            await handle_message(message, client.user, answering, conversations)

    if settings.discord_members_intent:

        @client.event
        async def on_member_join(member: discord.Member) -> None:
            await handle_member_join(member, answering)

    return client


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
    try:
        client.run(settings.discord_bot_token or "", log_handler=None)
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
        if heartbeat is not None:
            heartbeat.stop()
