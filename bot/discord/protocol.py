"""Discord's protocol numbers by name, and the interaction shapes this app reads (pydantic).

Only the fields the app uses are modelled; everything else in a payload is ignored, so a new
field from Discord never breaks parsing. Unknown interaction types are kept as plain ints
(the handler answers them kindly) rather than refused.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class InteractionType(IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class ResponseType(IntEnum):
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class MessageFlag(IntFlag):
    EPHEMERAL = 64


class ComponentType(IntEnum):
    ACTION_ROW = 1
    BUTTON = 2


class ButtonStyle(IntEnum):
    PRIMARY = 1
    SECONDARY = 2
    SUCCESS = 3


class CommandType(IntEnum):
    CHAT_INPUT = 1
    MESSAGE = 3


class OptionType(IntEnum):
    STRING = 3


class IntegrationType(IntEnum):
    GUILD_INSTALL = 0
    USER_INSTALL = 1


class ContextType(IntEnum):
    GUILD = 0
    BOT_DM = 1
    PRIVATE_CHANNEL = 2


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, value: Any) -> Any:
        # Discord sends null for absent parts (member in DMs, content of some messages).
        return {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value


class User(_Shape):
    id: str = ""


class Member(_Shape):
    user: User = Field(default_factory=User)
    roles: list[str] = Field(default_factory=list)  # role ids: a hand-off's helpers may be a role


class CommandOption(_Shape):
    name: str = ""
    value: object = None
    focused: bool = False


class Message(_Shape):
    """A message: the one a component was clicked on (ours, echoed back), or a message
    command's target."""

    id: str = ""
    content: str = ""
    flags: int = 0
    components: list[dict] = Field(default_factory=list)  # our buttons, echoed back (raw)

    @property
    def is_ephemeral(self) -> bool:
        return bool(self.flags & MessageFlag.EPHEMERAL)


class Resolved(_Shape):
    messages: dict[str, Message] = Field(default_factory=dict)


class InteractionData(_Shape):
    """`data`: a command's name, type, options (and a message command's target), or a
    component's custom_id."""

    name: str | None = None
    type: int | None = None
    options: list[CommandOption] = Field(default_factory=list)
    custom_id: str = ""
    target_id: str = ""
    resolved: Resolved = Field(default_factory=Resolved)
    components: list[dict] = Field(default_factory=list)  # a modal submission's fields (raw)

    @property
    def focused(self) -> CommandOption | None:
        """The option an autocomplete is for."""
        return next((o for o in self.options if o.focused), None)


class Interaction(_Shape):
    """The parts of an interaction payload the app reads."""

    id: str = ""
    application_id: str = ""
    type: int = 0
    token: str = ""
    data: InteractionData = Field(default_factory=InteractionData)
    member: Member | None = None
    user: User | None = None
    channel_id: str = ""
    guild_id: str = ""
    context: int | None = None
    authorizing_integration_owners: dict[str, object] | None = None
    message: Message = Field(default_factory=Message)

    @property
    def user_id(self) -> str:
        """The person: member.user in servers, user in DMs."""
        return (self.member.user.id if self.member else "") or (self.user.id if self.user else "")

    def option(self, name: str) -> str:
        """A string option of a slash command ("" when absent)."""
        for opt in self.data.options:
            if opt.name == name and isinstance(opt.value, str):
                return opt.value
        return ""
