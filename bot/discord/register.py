"""`careerbot discord register [--guild ID]`: bulk-overwrite the slash commands (once per deploy)."""

from __future__ import annotations

import logging
import sys

from bot.discord.commands import COMMANDS, problems
from bot.discord.rest import DiscordAPIError, DiscordREST
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)
EXIT_ERROR = 2


def register_commands(settings: Settings, guild_id: str | None = None) -> int:
    """PUT the command set globally (server and user installs) or to one guild; returns the exit code.

    Every failure is one line on stderr and exit 2 (the missing variable, a bad guild id, or
    the REST error: refused, rate limited for too long, or Discord unreachable); the bot token is sent in the Authorization header and printed nowhere.
    """
    try:
        settings.require("discord_application_id", "discord_bot_token")
    except SettingsError as exc:
        print(f"careerbot: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if guild_id is not None and not guild_id.isdigit():
        print(f"careerbot: error: --guild must be a server ID (digits), not {guild_id!r}", file=sys.stderr)
        return EXIT_ERROR
    wrong = problems(COMMANDS)
    if wrong:
        print(
            f"careerbot: error: the command set breaks Discord's rules: {'; '.join(wrong)}", file=sys.stderr
        )
        return EXIT_ERROR
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
        return EXIT_ERROR  # the CLI's one contract: every error is one line and exit 2
    registered = result if isinstance(result, list) else []
    names = ", ".join(
        f"/{c.get('name')}" if c.get("type", 1) == 1 else f"{c.get('name')!r} (message menu)"
        for c in registered
        if isinstance(c, dict)
    )
    where = f"in server {guild_id}" if guild_id else "globally (servers and DMs)"
    print(f"registered {len(registered)} Discord commands {where}: {names}")
    return 0
