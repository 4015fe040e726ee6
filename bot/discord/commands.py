"""The slash commands, as Discord's bulk-overwrite payload."""

from __future__ import annotations

STRING = 3
CHAT_INPUT = 1
# contexts: 0 guild, 1 bot DM, 2 private channel; integration_types: 0 guild install, 1 user install
EVERYWHERE = {"contexts": [0, 1, 2], "integration_types": [0, 1]}

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
                "max_length": 1000,
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
                "max_length": 1000,
            }
        ],
        **EVERYWHERE,
    },
]
