"""`careerbot discord register`: bulk-overwrite the slash commands (once per deploy)."""

from __future__ import annotations

import logging
import sys

from bot.discord.commands import COMMANDS
from bot.discord.rest import DiscordAPIError, DiscordREST
from bot.settings import Settings

logger = logging.getLogger(__name__)


def register_commands(settings: Settings, guild_id: str | None = None) -> int:
    """PUT the command set globally (servers and DMs) or to one guild; returns the exit code."""
    settings.require("discord_application_id", "discord_bot_token")
    app_id = settings.discord_application_id
    path = (
        f"/applications/{app_id}/guilds/{guild_id}/commands"
        if guild_id
        else f"/applications/{app_id}/commands"
    )
    try:
        result = DiscordREST(settings.discord_api_url, settings.discord_bot_token).request(
            "PUT", path, COMMANDS
        )
    except DiscordAPIError as exc:
        print(f"careerbot: error: registering Discord commands failed: {exc}", file=sys.stderr)
        return 1
    names = ", ".join(f"/{c.get('name')}" for c in result or [])
    print(
        f"registered {len(result or [])} Discord commands {'in guild ' + guild_id if guild_id else 'globally'}: {names}"
    )
    return 0
