"""Shared state: event claims, votes, welcomes, unanswered questions.

open_store(settings) gives SQLite (CAREERBOT_DB) by default, PostgreSQL when
DATABASE_URL is set. Both honour the Store protocol in bot.store.base, and every
failure is a StoreError whose message is one line naming the setting (never a password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.base import (
    CLAIM_TTL_SECONDS,
    FeedbackTotals,
    Store,
    StoreError,
    ThreadState,
    Vote,
    VoteRecord,
)

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "CLAIM_TTL_SECONDS",
    "FeedbackTotals",
    "Store",
    "StoreError",
    "ThreadState",
    "Vote",
    "VoteRecord",
    "open_store",
]


def open_store(settings: Settings) -> Store:
    """The configured store; StoreError (one line, naming the setting) when it can't be used."""
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
