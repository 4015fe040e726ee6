"""What a Slack listener takes from Bolt's context: the engine, the store, the answering flow.

`create_app()` installs `provide(...)` as a global middleware (`app.use`), which puts them
into every request's context before any listener runs. Listeners are plain module-level
functions that read them through the typed accessors below, so a test can call a listener
with `Mock(Ack)` and a `BoltContext` it filled itself, or send a request through
`app.dispatch()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_bolt import BoltContext

from bot.answering import Answering
from bot.followups import Conversations
from bot.store import Store
from retrieval import Engine

if TYPE_CHECKING:
    from bot.slack.listeners.home import Onboarding

ENGINE = "engine"
STORE = "store"
ANSWERING = "answering"
ONBOARDING = "onboarding"
CONVERSATIONS = "conversations"


def provide(
    answering: Answering, onboarding: Onboarding, conversations: Conversations | None = None
) -> Callable[..., None]:
    """The middleware that fills each request's context (`conversations`: the threads the bot
    follows, for follow-ups; None turns them off)."""

    def careerbot_context(
        context: BoltContext, next: Callable[[], None]
    ) -> None:  # `next`: Bolt's name for it
        context[ENGINE] = answering.engine
        context[STORE] = answering.store
        context[ANSWERING] = answering
        context[ONBOARDING] = onboarding
        context[CONVERSATIONS] = conversations
        next()

    return careerbot_context


def fill(
    context: BoltContext,
    answering: Answering,
    onboarding: Onboarding,
    conversations: Conversations | None = None,
) -> BoltContext:
    """What the middleware does, for a listener called directly (unit tests)."""
    provide(answering, onboarding, conversations)(context, lambda: None)
    return context


def engine_of(context: BoltContext) -> Engine:
    return context[ENGINE]


def store_of(context: BoltContext) -> Store:
    return context[STORE]


def answering_of(context: BoltContext) -> Answering:
    return context[ANSWERING]


def onboarding_of(context: BoltContext) -> Onboarding:
    return context[ONBOARDING]


def conversations_of(context: BoltContext) -> Conversations | None:
    return context.get(CONVERSATIONS)
