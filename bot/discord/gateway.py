"""The Discord gateway worker (Procfile `discord:`, run exactly one copy).

HTTP interactions cannot see @mentions, DMs or joins; this worker does. Discord delivers
the content of mentions and DMs without the privileged Message Content intent, so only
the members intent is optional (for welcomes, DISCORD_MEMBERS_INTENT).

The handlers are plain async functions over discord.py objects, so tests drive them with
Message and Member objects built from recorded payloads.
"""

from __future__ import annotations

import logging
import re

import discord

from bot.answering import Answering
from bot.discord import render
from bot.settings import Settings, SettingsError
from bot.store import Store
from retrieval import Engine

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
    engine = answering.engine
    if not question.strip():
        return render.notice(HELP + _examples(engine), ephemeral=False)
    asked = answering.ask(question, platform=PLATFORM, entry=entry)
    if asked.answer is None:
        return render.notice(f"I couldn't read that as a question: {asked.problem}", ephemeral=False)
    answering.remember_unanswered(asked, PLATFORM)
    # Plain replies: the bot's messages keep working when the web process (which receives
    # button clicks) isn't running; the examples are listed in the text instead.
    return render.answer_message(
        asked.answer, examples=engine.example_questions(), ephemeral=False, share=False, buttons=False
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


async def handle_message(message: discord.Message, me: discord.abc.User, answering: Answering) -> bool:
    """Answer a DM or a message that mentions us; True when a reply was sent."""
    if message.author.bot or message.author.id == me.id or message.webhook_id is not None:
        return False
    if message.type not in ANSWERED_TYPES:  # joins, pins, boosts... are not questions
        return False
    # A server message whose guild isn't cached has a PartialMessageable channel with a guild_id.
    is_dm = message.guild is None and getattr(message.channel, "guild_id", None) is None
    if not is_dm and not any(user.id == me.id for user in message.mentions):
        return False
    # False when this message was already taken (a second worker copy, a replayed event).
    if not answering.claim_once(f"discord:message:{message.id}"):
        return False
    payload = reply_payload(answering, question_from(message, me), "dm" if is_dm else "mention")
    try:
        await message.reply(mention_author=False, **_send_kwargs(payload))
    except discord.HTTPException as exc:
        logger.error("message %s: reply failed: %s", message.id, exc)
        return False
    return True


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
    members only when welcomes are wanted (a privileged intent, enabled in the portal)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.members = settings.discord_members_intent
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

    @client.event
    async def on_message(message: discord.Message) -> None:
        if client.user is not None:
            await handle_message(message, client.user, answering)

    if settings.discord_members_intent:

        @client.event
        async def on_member_join(member: discord.Member) -> None:
            await handle_member_join(member, answering)

    return client


def run_gateway(settings: Settings, engine: Engine, store: Store) -> None:
    """Connect to the gateway and serve until stopped; a refused token or intent is a SettingsError."""
    settings.require("discord_bot_token")
    # The REST base is the same setting the interactions and registration use.
    discord.http.Route.BASE = settings.discord_api_url
    client = build_client(settings, engine, store)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        client.run(settings.discord_bot_token or "", log_handler=None)
    except discord.LoginFailure:
        raise SettingsError(
            "DISCORD_BOT_TOKEN was refused by Discord: reset it in the developer portal"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise SettingsError(
            "DISCORD_MEMBERS_INTENT is true but the Server Members Intent is off in the developer portal "
            "(Bot page): turn it on, or unset DISCORD_MEMBERS_INTENT"
        ) from None
    except discord.ConnectionClosed as exc:
        if exc.code == 4004:  # authentication failed
            raise SettingsError("DISCORD_BOT_TOKEN was refused by Discord's gateway") from None
        raise
