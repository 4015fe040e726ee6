"""Shared state: event claims, votes, welcomes, unanswered questions.

open_store(settings) gives SQLite (CAREERBOT_DB) by default, PostgreSQL when
DATABASE_URL is set. Both honour the Store protocol in bot.store.base, and every
failure is a StoreError whose message is one line naming the setting (never a password).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.store.base import (
    CLAIM_TTL_SECONDS,
    DEFAULT_RETENTION_DAYS,
    DOWN_REASONS,
    AskRecord,
    DayCount,
    FeedbackTotals,
    Handoff,
    InsightFigures,
    Store,
    StoreError,
    ThreadState,
    UnansweredGroup,
    Vote,
    VoteRecord,
    new_ask_id,
)

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "CLAIM_TTL_SECONDS",
    "DEFAULT_RETENTION_DAYS",
    "DOWN_REASONS",
    "AskRecord",
    "DayCount",
    "FeedbackTotals",
    "Handoff",
    "InsightFigures",
    "UnansweredGroup",
    "Store",
    "StoreError",
    "ThreadState",
    "Vote",
    "VoteRecord",
    "new_ask_id",
    "open_store",
]


logger = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    """The configured store; StoreError (one line, naming the setting) when it can't be used.

    Question texts past CAREERBOT_RETENTION_DAYS are purged here (and as asks come in).
    """
    store = _open(settings)
    store.retention_days = settings.careerbot_retention_days  # type: ignore[attr-defined]
    try:
        store.purge_questions()
    except StoreError:  # a read-only database still serves; the next writer purges
        logger.warning("could not purge questions past the retention period", exc_info=True)
    return store


def _open(settings: Settings) -> Store:
    if settings.database_url:
        from bot.store.postgres import PostgresStore, redact

        try:
            return PostgresStore(settings.database_url, timeout=settings.careerbot_db_timeout)
        except StoreError:
            raise
        except Exception as exc:  # anything psycopg's parser raises that isn't a psycopg.Error
            raise StoreError(
                f"DATABASE_URL {redact(settings.database_url)} is invalid: {type(exc).__name__}"
            ) from None
    from bot.store.sqlite import SQLiteStore

    return SQLiteStore(settings.careerbot_db)
