"""The store's SQL, shared by SQLite and PostgreSQL (they agree on INSERT ... ON CONFLICT).

Statements use `?` placeholders; the PostgreSQL store rewrites them to `%s` (no statement
here contains a literal `?` or `%`). Times are epoch seconds (DOUBLE PRECISION / REAL).
"""

from __future__ import annotations

# Each entry migrates from version n-1 to n; run in order, idempotently, at start-up.
# Append new migrations at the end; never edit one that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS event_claims (
            key TEXT PRIMARY KEY,
            claimed_at DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS votes (
            platform TEXT NOT NULL,
            answer_key TEXT NOT NULL,
            user_id TEXT NOT NULL,
            vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
            question TEXT NOT NULL,
            passage_ids TEXT NOT NULL,
            scores TEXT NOT NULL,
            channel TEXT,
            voted_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, answer_key, user_id)
        )""",
        """CREATE TABLE IF NOT EXISTS welcomes (
            platform TEXT NOT NULL,
            user_id TEXT NOT NULL,
            claimed_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, user_id)
        )""",
        """CREATE TABLE IF NOT EXISTS unanswered (
            platform TEXT NOT NULL,
            question TEXT NOT NULL,
            asked_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS event_claims_claimed_at ON event_claims (claimed_at)",
    ),
    # 2: conversations the bot follows (thread follow-ups) and Slack assistant thread context.
    (
        """CREATE TABLE IF NOT EXISTS threads (
            platform TEXT NOT NULL,
            thread_key TEXT NOT NULL,
            first_question TEXT NOT NULL,
            shown TEXT NOT NULL,
            answers INTEGER NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, thread_key)
        )""",
        """CREATE TABLE IF NOT EXISTS thread_messages (
            platform TEXT NOT NULL,
            message_key TEXT NOT NULL,
            thread_key TEXT NOT NULL,
            PRIMARY KEY (platform, message_key)
        )""",
        """CREATE TABLE IF NOT EXISTS assistant_contexts (
            channel TEXT NOT NULL,
            thread_ts TEXT NOT NULL,
            context TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (channel, thread_ts)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

CREATE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
READ_VERSION = "SELECT MAX(version) FROM schema_version"
# NULL when the version table doesn't exist yet (a fresh database); no write lock needed.
HAS_VERSION_TABLE_SQLITE = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
HAS_VERSION_TABLE_POSTGRES = "SELECT to_regclass('schema_version')"
WRITE_VERSION = "INSERT INTO schema_version (version) VALUES (?)"

# A claim is new, or replaces an expired one; RETURNING tells the caller whether it won.
CLAIM_EVENT = """
INSERT INTO event_claims (key, claimed_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET claimed_at = excluded.claimed_at
WHERE event_claims.claimed_at < ?
RETURNING key
"""
PURGE_EVENTS = "DELETE FROM event_claims WHERE claimed_at < ? RETURNING key"

# The latest click wins, by click time rather than by arrival: two clicks in quick succession
# handled by two workers may commit in either order.
UPSERT_VOTE = """
INSERT INTO votes (platform, answer_key, user_id, vote, question, passage_ids, scores, channel, voted_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, answer_key, user_id) DO UPDATE SET
    vote = excluded.vote, question = excluded.question, passage_ids = excluded.passage_ids,
    scores = excluded.scores, channel = excluded.channel, voted_at = excluded.voted_at
WHERE votes.voted_at <= excluded.voted_at
"""
GET_VOTE = """
SELECT vote, question, passage_ids, scores, channel FROM votes
WHERE platform = ? AND answer_key = ? AND user_id = ?
"""
VOTE_TOTALS = "SELECT vote, COUNT(*) FROM votes GROUP BY vote"
# Most 👎 first, then most recent.
DOWNVOTED_QUESTIONS = """
SELECT question FROM votes WHERE vote = 'down'
GROUP BY question ORDER BY COUNT(*) DESC, MAX(voted_at) DESC, question
"""
UNANSWERED_QUESTIONS = (
    "SELECT question, COUNT(*) FROM unanswered GROUP BY question ORDER BY COUNT(*) DESC, question"
)

CLAIM_WELCOME = """
INSERT INTO welcomes (platform, user_id, claimed_at) VALUES (?, ?, ?)
ON CONFLICT (platform, user_id) DO NOTHING
RETURNING user_id
"""
RELEASE_WELCOME = "DELETE FROM welcomes WHERE platform = ? AND user_id = ?"
LOG_UNANSWERED = "INSERT INTO unanswered (platform, question, asked_at) VALUES (?, ?, ?)"

GET_THREAD = """
SELECT first_question, shown, answers, updated_at FROM threads WHERE platform = ? AND thread_key = ?
"""
SAVE_THREAD = """
INSERT INTO threads (platform, thread_key, first_question, shown, answers, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, thread_key) DO UPDATE SET
    first_question = excluded.first_question, shown = excluded.shown,
    answers = excluded.answers, updated_at = excluded.updated_at
"""
LINK_THREAD_MESSAGE = """
INSERT INTO thread_messages (platform, message_key, thread_key) VALUES (?, ?, ?)
ON CONFLICT (platform, message_key) DO UPDATE SET thread_key = excluded.thread_key
"""
THREAD_OF_MESSAGE = "SELECT thread_key FROM thread_messages WHERE platform = ? AND message_key = ?"
SAVE_ASSISTANT_CONTEXT = """
INSERT INTO assistant_contexts (channel, thread_ts, context, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (channel, thread_ts) DO UPDATE SET context = excluded.context, updated_at = excluded.updated_at
"""
GET_ASSISTANT_CONTEXT = "SELECT context FROM assistant_contexts WHERE channel = ? AND thread_ts = ?"


def pending_migrations(current: int) -> list[tuple[int, tuple[str, ...]]]:
    """(version, statements) of every migration newer than `current`, in order."""
    return [
        (version, statements) for version, statements in enumerate(MIGRATIONS, start=1) if version > current
    ]
