"""The slash commands, as Discord's bulk-overwrite payload, and Discord's rules for them."""

from __future__ import annotations

from retrieval.question import MAX_QUESTION_CHARS

STRING = 3
CHAT_INPUT = 1
GUILD_INSTALL = 0
GUILD, BOT_DM = 0, 1
# Installed to servers (the bot scope); usable in servers and in DMs with the bot. User
# installs (integration type 1, context 2) need the portal's "User Install" turned on,
# so they are not asked for here.
EVERYWHERE = {"contexts": [GUILD, BOT_DM], "integration_types": [GUILD_INSTALL]}
NAME_MAX = 32
DESCRIPTION_MAX = 100

COMMANDS: list[dict] = [
    {
        "name": "mle-vs-swe",
        "type": CHAT_INPUT,
        "description": "How machine learning engineers and software engineers differ",
        "options": [
            {
                "name": "question",
                "type": STRING,
                "description": "Ask about one aspect of the difference (leave empty for an overview)",
                "required": False,
                "max_length": MAX_QUESTION_CHARS,  # the engine's own limit
            }
        ],
        **EVERYWHERE,
    },
    {
        "name": "career",
        "type": CHAT_INPUT,
        "description": "Ask a question about ML engineering and software engineering careers",
        "options": [
            {
                "name": "question",
                "type": STRING,
                "description": "Your question, e.g. What does an ML engineer do day to day?",
                "required": True,
                "max_length": MAX_QUESTION_CHARS,  # the engine's own limit
            }
        ],
        **EVERYWHERE,
    },
]


def valid_name(name: object) -> bool:
    """Discord's ^[-_\\p{L}\\p{N}]{1,32}$, lower case (for chat-input commands and options)."""
    return (
        isinstance(name, str)
        and 1 <= len(name) <= NAME_MAX
        and all(c in "-_" or c.isalpha() or c.isnumeric() for c in name)
        and name == name.lower()
    )


def problems(commands: list[dict]) -> list[str]:
    """What in `commands` breaks Discord's rules (empty when the set is valid)."""
    found: list[str] = []
    names = [c.get("name") for c in commands]
    if len(set(names)) != len(names):
        found.append("command names must be unique")
    if len(commands) > 100:
        found.append("at most 100 global chat-input commands")
    for command in commands:
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
            if opt.get("required") and seen_optional:
                found.append(f"{where}: required options must come before optional ones")
            seen_optional = seen_optional or not opt.get("required")
    return found
