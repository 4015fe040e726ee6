"""The commands, as Discord's bulk-overwrite payload, and Discord's rules for them.

Two slash commands whose question option autocompletes, and one message command
("Ask careerbot" in a message's Apps menu). Every command can be installed to a server and
to a person's own account (`integration_types` [0, 1]) and used in servers, DMs with the
bot and other DMs or group DMs (`contexts` [0, 1, 2]); the deprecated `dm_permission` is
not sent.
"""

from __future__ import annotations

from bot.discord.protocol import CommandType, ContextType, IntegrationType, OptionType
from retrieval.question import MAX_QUESTION_CHARS

# Server installs (the bot scope) and user installs (the portal's Installation page must
# have "User Install" ticked); usable in servers, DMs with the bot, and other DMs.
EVERYWHERE = {
    "contexts": [ContextType.GUILD, ContextType.BOT_DM, ContextType.PRIVATE_CHANNEL],
    "integration_types": [IntegrationType.GUILD_INSTALL, IntegrationType.USER_INSTALL],
}
NAME_MAX = 32
DESCRIPTION_MAX = 100
MESSAGE_COMMANDS_MAX = 5  # Discord's limit on global message commands
ASK_MESSAGE = "Ask careerbot"  # the message command: a message's Apps menu shows this name
# A user-installed app not installed to the server may create at most this many follow-ups
# per interaction (apps installed to the server are unaffected). We send at most one.
USER_INSTALL_FOLLOWUPS_MAX = 5

COMMANDS: list[dict] = [
    {
        "name": "mle-vs-swe",
        "type": CommandType.CHAT_INPUT,
        "description": "How machine learning engineers and software engineers differ",
        "options": [
            {
                "name": "question",
                "type": OptionType.STRING,
                "description": "Ask about one aspect of the difference (leave empty for an overview)",
                "required": False,
                "max_length": MAX_QUESTION_CHARS,  # the engine's own limit
                "autocomplete": True,
            }
        ],
        **EVERYWHERE,
    },
    {
        "name": "career",
        "type": CommandType.CHAT_INPUT,
        "description": "Ask a question about ML engineering and software engineering careers",
        "options": [
            {
                "name": "question",
                "type": OptionType.STRING,
                "description": "Your question, e.g. What does an ML engineer do day to day?",
                "required": True,
                "max_length": MAX_QUESTION_CHARS,  # the engine's own limit
                "autocomplete": True,
            }
        ],
        **EVERYWHERE,
    },
    # No description: Discord refuses one on message commands.
    {"name": ASK_MESSAGE, "type": CommandType.MESSAGE, **EVERYWHERE},
]


def valid_name(name: object) -> bool:
    """Discord's ^[-_\\p{L}\\p{N}]{1,32}$, lower case (for chat-input commands and options)."""
    return (
        isinstance(name, str)
        and 1 <= len(name) <= NAME_MAX
        and all(c in "-_" or c.isalpha() or c.isnumeric() for c in name)
        and name == name.lower()
    )


def valid_menu_name(name: object) -> bool:
    """Message and user command names: 1-32 characters, any case, spaces allowed."""
    return isinstance(name, str) and 1 <= len(name) <= NAME_MAX and name.strip() == name and name != ""


def problems(commands: list[dict]) -> list[str]:
    """What in `commands` breaks Discord's rules (empty when the set is valid)."""
    found: list[str] = []
    keys = [(c.get("type", CommandType.CHAT_INPUT), c.get("name")) for c in commands]
    if len(set(keys)) != len(keys):
        found.append("command names must be unique (per command type)")
    if sum(1 for c in commands if c.get("type", CommandType.CHAT_INPUT) == CommandType.CHAT_INPUT) > 100:
        found.append("at most 100 global chat-input commands")
    if sum(1 for c in commands if c.get("type") == CommandType.MESSAGE) > MESSAGE_COMMANDS_MAX:
        found.append(f"at most {MESSAGE_COMMANDS_MAX} global message commands")
    for command in commands:
        found.extend(_context_problems(command))
        if command.get("type", CommandType.CHAT_INPUT) == CommandType.MESSAGE:
            found.extend(_message_command_problems(command))
            continue
        where = f"/{command.get('name')}"
        if not valid_name(command.get("name")):
            found.append(f"{where}: name must match ^[-_\\p{{L}}\\p{{N}}]{{1,32}}$ in lower case")
        if not 1 <= len(command.get("description") or "") <= DESCRIPTION_MAX:
            found.append(f"{where}: description must be 1-{DESCRIPTION_MAX} characters")
        options = command.get("options") or []
        if len(options) > 25:
            found.append(f"{where}: at most 25 options")
        seen_optional = False
        for opt in options:
            if not valid_name(opt.get("name")):
                found.append(f"{where} {opt.get('name')}: option name breaks Discord's rule")
            if not 1 <= len(opt.get("description") or "") <= DESCRIPTION_MAX:
                found.append(f"{where} {opt.get('name')}: description must be 1-{DESCRIPTION_MAX} characters")
            if opt.get("autocomplete") and opt.get("choices"):
                found.append(f"{where} {opt.get('name')}: autocomplete options may not have choices")
            if opt.get("required") and seen_optional:
                found.append(f"{where}: required options must come before optional ones")
            seen_optional = seen_optional or not opt.get("required")
    return found


def _context_problems(command: dict) -> list[str]:
    where = f"{command.get('name')!r}"
    found = []
    if "dm_permission" in command:
        found.append(f"{where}: dm_permission is deprecated; use contexts")
    if not set(command.get("integration_types") or [IntegrationType.GUILD_INSTALL]) <= {
        IntegrationType.GUILD_INSTALL,
        IntegrationType.USER_INSTALL,
    }:
        found.append(f"{where}: integration_types must be 0 (server) and/or 1 (user)")
    if not set(command.get("contexts") or [ContextType.GUILD]) <= {
        ContextType.GUILD,
        ContextType.BOT_DM,
        ContextType.PRIVATE_CHANNEL,
    }:
        found.append(f"{where}: contexts must be among 0 (server), 1 (bot DM), 2 (private channel)")
    return found


def _message_command_problems(command: dict) -> list[str]:
    where = f"message command {command.get('name')!r}"
    found = []
    if not valid_menu_name(command.get("name")):
        found.append(f"{where}: name must be 1-{NAME_MAX} characters")
    if command.get("description"):
        found.append(f"{where}: message commands take no description")
    if command.get("options"):
        found.append(f"{where}: message commands take no options")
    return found
