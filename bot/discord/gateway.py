"""The Discord gateway worker (Procfile `discord:`, run exactly one copy).

HTTP interactions cannot see @mentions, DMs or joins; this worker does. Discord delivers
the content of mentions and DMs without the privileged Message Content intent, so only
the members intent is optional (for welcomes, DISCORD_MEMBERS_INTENT).
"""

from __future__ import annotations

import logging
import re

import discord

from bot.discord import render
from bot.settings import Settings
from bot.store import Store, StoreError
from retrieval import Engine, QuestionError

logger = logging.getLogger(__name__)

_MENTION = re.compile(r"<@!?\d+>")
WELCOME = (
    "Welcome! I'm careerbot. I answer questions about machine learning engineers and software engineers "
    "by quoting a few good articles, with their sources. Mention me with a question, send me a DM, or use "
    "`/career` and `/mle-vs-swe`."
)


def reply_payload(engine: Engine, store: Store, question: str) -> dict:
    """The message for a mention or DM: the answer, public in its channel, no pings."""
    try:
        answer = engine.ask(question)
    except QuestionError as exc:
        return render.notice(f"I couldn't read that as a question: {exc}", ephemeral=False)
    if not answer.answered:
        try:
            store.log_unanswered("discord", answer.question)
        except StoreError:
            logger.warning("could not log an unanswered question", exc_info=True)
    message = render.answer_message(answer, ephemeral=False, share=False)
    message.pop("components", None)  # buttons are the interactions endpoint's; replies stay plain
    return message


def _send_kwargs(payload: dict) -> dict:
    return {
        "content": payload.get("content"),
        "embeds": [discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        "allowed_mentions": discord.AllowedMentions.none(),
    }


async def handle_message(
    message: discord.Message, me: discord.abc.User, engine: Engine, store: Store
) -> bool:
    """Answer a DM or a message that mentions us; True when a reply was sent."""
    if message.author.bot or message.author.id == me.id:
        return False
    is_dm = message.guild is None
    if not is_dm and not any(user.id == me.id for user in message.mentions):
        return False
    question = " ".join(_MENTION.sub(" ", message.content or "").split())
    payload = reply_payload(engine, store, question)
    try:
        await message.reply(mention_author=False, **_send_kwargs(payload))
    except discord.HTTPException as exc:
        logger.error("message %s: reply failed: %s", message.id, exc)
        return False
    return True


async def handle_member_join(member: discord.Member, engine: Engine, store: Store) -> bool:
    """Welcome a person once (claimed in the store first; released if the DM fails)."""
    if member.bot:
        return False
    try:
        if not store.claim_welcome("discord", str(member.id)):
            return False
    except StoreError:
        logger.error("welcome for %s skipped: store unavailable", member.id, exc_info=True)
        return False
    titles = "\n".join(f"• {render.defuse(d.title)}" for d in engine.documents[:10])
    try:
        await member.send(
            content=render.truncate(f"{WELCOME}\n\nI answer from:\n{titles}", render.CONTENT_LIMIT),
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as exc:
        logger.error("welcome for %s failed (%s); will try again on their next join", member.id, exc)
        try:
            store.release_welcome("discord", str(member.id))
        except StoreError:
            logger.error("could not release the welcome claim for %s", member.id, exc_info=True)
        return False
    return True


def intents(settings: Settings) -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.members = settings.discord_members_intent
    return wanted


def run_gateway(settings: Settings, engine: Engine, store: Store) -> None:
    """Connect to the gateway and serve until stopped."""
    settings.require("discord_bot_token")
    client = discord.Client(intents=intents(settings))

    @client.event
    async def on_message(message: discord.Message) -> None:
        if client.user is not None:
            await handle_message(message, client.user, engine, store)

    @client.event
    async def on_member_join(member: discord.Member) -> None:
        await handle_member_join(member, engine, store)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    client.run(settings.discord_bot_token or "", log_handler=None)
