"""The people "Ask a person" hands a question to: CAREERBOT_HELPERS and per-channel overrides.

Syntax (one string, comma- or space-separated entries):

    slack:S0123ABCD        a Slack user group (mentioned as <!subteam^S0123ABCD>)
    slack:U0123ABCD        a Slack user (<@U0123ABCD>; W… enterprise ids too)
    discord:role:123456    a Discord role (<@&123456>)
    discord:user:123456    a Discord user (<@123456>)

Mentions are built only from these parsed ids: nothing a person typed ever becomes a
mention, and nothing here can produce @channel, @here or @everyone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Store

_SLACK_ID = re.compile(r"^[SUW][A-Z0-9]{1,20}$")
_DISCORD_ID = re.compile(r"^[0-9]{1,25}$")

# Said instead of a mention when nobody is configured for the channel: never a dead end.
NO_HELPERS_TEXT = (
    "Nobody is set up to take questions here yet. Please ask a machine-learning engineer on your "
    "team or your manager directly; an admin can name helpers with CAREERBOT_HELPERS."
)


class Helpers(BaseModel):
    """Parsed helper ids for both platforms (each tuple in the order given, without repeats)."""

    model_config = ConfigDict(frozen=True)

    slack_groups: tuple[str, ...] = ()
    slack_users: tuple[str, ...] = ()
    discord_roles: tuple[str, ...] = ()
    discord_users: tuple[str, ...] = ()

    def for_platform(self, platform: str) -> Helpers:
        if platform == "slack":
            return Helpers(slack_groups=self.slack_groups, slack_users=self.slack_users)
        return Helpers(discord_roles=self.discord_roles, discord_users=self.discord_users)

    def any_for(self, platform: str) -> bool:
        if platform == "slack":
            return bool(self.slack_groups or self.slack_users)
        return bool(self.discord_roles or self.discord_users)

    def ids(self, platform: str) -> tuple[str, ...]:
        """Stored with a hand-off: "group:S…"/"user:U…" or "role:…"/"user:…"."""
        if platform == "slack":
            return (*(f"group:{g}" for g in self.slack_groups), *(f"user:{u}" for u in self.slack_users))
        return (*(f"role:{r}" for r in self.discord_roles), *(f"user:{u}" for u in self.discord_users))

    def slack_mentions(self) -> str:
        """ "<!subteam^S…> <@U…>": only the configured ids, which _SLACK_ID keeps to [A-Z0-9]."""
        return " ".join(
            [*(f"<!subteam^{g}>" for g in self.slack_groups), *(f"<@{u}>" for u in self.slack_users)]
        )

    def discord_mentions(self) -> tuple[str, dict]:
        """(content prefix, allowed_mentions) that pings exactly the configured roles and users."""
        text = " ".join([*(f"<@&{r}>" for r in self.discord_roles), *(f"<@{u}>" for u in self.discord_users)])
        return text, {"parse": [], "roles": list(self.discord_roles), "users": list(self.discord_users)}

    def to_text(self) -> str:
        """Back to CAREERBOT_HELPERS syntax (what a channel override stores)."""
        return ",".join(
            [
                *(f"slack:{g}" for g in self.slack_groups),
                *(f"slack:{u}" for u in self.slack_users),
                *(f"discord:role:{r}" for r in self.discord_roles),
                *(f"discord:user:{u}" for u in self.discord_users),
            ]
        )


def parse_helpers(text: str) -> Helpers:
    """Parse the syntax above; ValueError naming the first entry that isn't one of its forms."""
    found: dict[str, list[str]] = {"sg": [], "su": [], "dr": [], "du": []}
    for entry in re.split(r"[\s,]+", text.strip()):
        if not entry:
            continue
        parts = entry.split(":")
        slot: str | None = None
        value = ""
        if len(parts) == 2 and parts[0].lower() == "slack" and _SLACK_ID.match(parts[1]):
            value = parts[1]
            slot = "sg" if value.startswith("S") else "su"
        elif len(parts) == 3 and parts[0].lower() == "discord" and _DISCORD_ID.match(parts[2]):
            value = parts[2]
            slot = {"role": "dr", "user": "du"}.get(parts[1].lower())
        if slot is None:
            shown = entry if len(entry) <= 40 else entry[:40] + "…"
            raise ValueError(
                f"{shown!r} is not a helper: use slack:S… (user group), slack:U… (user), "
                "discord:role:ID or discord:user:ID"
            )
        if value not in found[slot]:
            found[slot].append(value)
    return Helpers(
        slack_groups=tuple(found["sg"]),
        slack_users=tuple(found["su"]),
        discord_roles=tuple(found["dr"]),
        discord_users=tuple(found["du"]),
    )


def helpers_for(settings: Settings, store: Store, platform: str, channel: str | None) -> Helpers:
    """This channel's override when one is stored, else CAREERBOT_HELPERS; for one platform."""
    return resolve_helpers(settings.careerbot_helpers, store, platform, channel)


def resolve_helpers(default: str, store: Store, platform: str, channel: str | None) -> Helpers:
    """`default` (CAREERBOT_HELPERS syntax) unless the channel has an override in the store.

    A store that can't be read falls back to the default: a hand-off still reaches someone.
    """
    from bot.store import StoreError

    text = default
    if channel:
        try:
            override = store.channel_helpers(platform, channel)
        except StoreError:
            override = None
        if override is not None:
            text = override
    try:
        return parse_helpers(text).for_platform(platform)
    except ValueError:  # a stored override is checked when set; be safe if someone edited the table
        return parse_helpers(default).for_platform(platform)
