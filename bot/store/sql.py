"""The store's SQL, shared by SQLite and PostgreSQL (they agree on INSERT ... ON CONFLICT).

Statements use `?` placeholders; the PostgreSQL store rewrites them to `%s` (no statement
here contains a literal `?` or `%`). Times are epoch seconds (DOUBLE PRECISION / REAL).
"""

from __future__ import annotations

# Migration 4's recount: every count from the rows (DELETE, then INSERT ... SELECT). Frozen with
# migration 4; a later migration that adds a count brings its own statements and RECOUNT follows it.
_RECOUNT_4: tuple[str, ...] = (
    "DELETE FROM ask_days",
    "DELETE FROM unanswered_days",
    "DELETE FROM ask_people",
    """UPDATE asks SET
        marked = CASE WHEN EXISTS (SELECT 1 FROM answered_marks m WHERE m.ask_id = asks.ask_id)
            THEN 1 ELSE 0 END,
        flagged = CASE WHEN answered = 1 AND (
            EXISTS (SELECT 1 FROM votes v WHERE v.ask_id = asks.ask_id AND v.vote = 'down')
            OR EXISTS (SELECT 1 FROM handoffs h WHERE h.ask_id = asks.ask_id)
        ) THEN 1 ELSE 0 END""",
    """INSERT INTO ask_days (day, platform, entry, asked, answered, marked, flagged)
    SELECT day, platform, entry, COUNT(*), SUM(answered), SUM(marked), SUM(flagged)
    FROM asks GROUP BY day, platform, entry""",
    """INSERT INTO unanswered_days (day, concepts, asked, newest)
    SELECT day, concepts, COUNT(*), MAX(ask_id) FROM asks WHERE answered = 0 GROUP BY day, concepts""",
    """INSERT INTO ask_people (user_id, day)
    SELECT user_id, day FROM asks WHERE user_id IS NOT NULL GROUP BY user_id, day""",
    """UPDATE ask_people SET next_day = (
        SELECT MIN(p.day) FROM ask_people p WHERE p.user_id = ask_people.user_id AND p.day > ask_people.day
    )""",
)

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
    # 3: every asked question, "That answers it", 👎 reasons, hand-offs, per-channel helpers.
    (
        """CREATE TABLE IF NOT EXISTS asks (
            ask_id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            entry TEXT NOT NULL,
            channel TEXT,
            user_id TEXT,
            question TEXT,
            concepts TEXT NOT NULL,
            answered INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            passage_ids TEXT NOT NULL,
            asked_at DOUBLE PRECISION NOT NULL,
            day TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS asks_people ON asks (asked_at, user_id)",
        # Counts per day, kept as asks are recorded: the insight page reads days, not asks.
        """CREATE TABLE IF NOT EXISTS ask_days (
            day TEXT NOT NULL,
            platform TEXT NOT NULL,
            entry TEXT NOT NULL,
            asked INTEGER NOT NULL,
            answered INTEGER NOT NULL,
            PRIMARY KEY (day, platform, entry)
        )""",
        """CREATE TABLE IF NOT EXISTS unanswered_days (
            day TEXT NOT NULL,
            concepts TEXT NOT NULL,
            asked INTEGER NOT NULL,
            newest TEXT NOT NULL,
            PRIMARY KEY (day, concepts)
        )""",
        """CREATE TABLE IF NOT EXISTS answered_marks (
            ask_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            marked_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (ask_id, user_id)
        )""",
        "CREATE INDEX IF NOT EXISTS answered_marks_marked_at ON answered_marks (marked_at, ask_id)",
        "ALTER TABLE votes ADD COLUMN ask_id TEXT",
        "ALTER TABLE votes ADD COLUMN reason TEXT",
        "ALTER TABLE votes ADD COLUMN reason_text TEXT",
        "CREATE INDEX IF NOT EXISTS votes_ask_id ON votes (ask_id)",
        "CREATE INDEX IF NOT EXISTS votes_period ON votes (voted_at, vote, reason, ask_id)",
        "CREATE INDEX IF NOT EXISTS votes_down ON votes (vote, voted_at, passage_ids)",
        """CREATE TABLE IF NOT EXISTS handoffs (
            handoff_id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            ask_id TEXT UNIQUE,
            channel TEXT,
            question TEXT,
            asker TEXT,
            helpers TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            resolved_at DOUBLE PRECISION,
            resolved_by TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS handoffs_created_at ON handoffs (created_at, resolved_at, ask_id)",
        """CREATE TABLE IF NOT EXISTS channel_helpers (
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            helpers TEXT NOT NULL,
            PRIMARY KEY (platform, channel)
        )""",
        "CREATE INDEX IF NOT EXISTS unanswered_asked_at ON unanswered (asked_at)",
    ),
    # 4: the rest of the insight page's figures kept as counts too, so the page reads days, not
    # asks: per ask whether it is marked "That answers it" and whether it is not auto-resolved
    # (answered, yet a 👎 or a hand-off), summed per day; and the distinct askers.
    (
        "ALTER TABLE asks ADD COLUMN marked INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE asks ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE ask_days ADD COLUMN marked INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE ask_days ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0",
        # One row per person and day they asked on, chained to the next such day: the distinct
        # people of days [first, last] are the rows of those days whose next day is after last
        # (each person's last day within the period), counted from an index, no DISTINCT.
        """CREATE TABLE IF NOT EXISTS ask_people (
            user_id TEXT NOT NULL,
            day TEXT NOT NULL,
            next_day TEXT,
            PRIMARY KEY (user_id, day)
        )""",
        "CREATE INDEX IF NOT EXISTS ask_people_last ON ask_people (next_day, day)",
        "CREATE INDEX IF NOT EXISTS ask_people_day ON ask_people (day, next_day)",
        # A row per person, locked while their ask is chained (PostgreSQL: two asks by one person
        # on two days, recorded at once, would otherwise each miss the other).
        "CREATE TABLE IF NOT EXISTS ask_users (user_id TEXT PRIMARY KEY)",
        # The counts from the rows already stored.
        *_RECOUNT_4,
    ),
)
# Every count recomputed from the rows: for a bulk load (bench/insight.py), and for tests that
# compare the counts kept as rows arrive with a fresh recount.
RECOUNT: tuple[str, ...] = _RECOUNT_4
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
# A changed vote drops the reason given with the old one; a repeated 👎 keeps it.
UPSERT_VOTE = """
INSERT INTO votes (
    platform, answer_key, user_id, vote, question, passage_ids, scores, channel, voted_at,
    ask_id, reason, reason_text
)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, answer_key, user_id) DO UPDATE SET
    reason = CASE WHEN votes.vote = excluded.vote THEN COALESCE(excluded.reason, votes.reason) END,
    reason_text = CASE
        WHEN votes.vote = excluded.vote THEN COALESCE(excluded.reason_text, votes.reason_text)
    END,
    vote = excluded.vote, question = excluded.question, passage_ids = excluded.passage_ids,
    scores = excluded.scores, channel = excluded.channel, voted_at = excluded.voted_at,
    ask_id = COALESCE(excluded.ask_id, votes.ask_id)
WHERE votes.voted_at <= excluded.voted_at
"""
GET_VOTE = """
SELECT vote, question, passage_ids, scores, channel, ask_id, reason, reason_text FROM votes
WHERE platform = ? AND answer_key = ? AND user_id = ?
"""
SET_VOTE_REASON = """
UPDATE votes SET reason = ?, reason_text = ?
WHERE platform = ? AND answer_key = ? AND user_id = ? AND vote = 'down'
RETURNING user_id
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

# -- asks, resolutions, hand-offs (the insight page) -------------------------------------------

RECORD_ASK = """
INSERT INTO asks (
    ask_id, platform, entry, channel, user_id, question, concepts, answered, hits, passage_ids,
    asked_at, day
)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (ask_id) DO NOTHING
RETURNING ask_id
"""
COUNT_ASK_DAY = """
INSERT INTO ask_days (day, platform, entry, asked, answered) VALUES (?, ?, ?, 1, ?)
ON CONFLICT (day, platform, entry) DO UPDATE SET
    asked = ask_days.asked + 1, answered = ask_days.answered + excluded.answered
"""
# The asker's lock row, then their day: new, it is chained between the days before and after it.
LOCK_ASK_USER = """
INSERT INTO ask_users (user_id) VALUES (?)
ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id
"""
ADD_ASK_PERSON_DAY = """
INSERT INTO ask_people (user_id, day, next_day)
VALUES (?, ?, (SELECT MIN(day) FROM ask_people WHERE user_id = ? AND day > ?))
ON CONFLICT (user_id, day) DO NOTHING
RETURNING day
"""
# Params: day, user, day, day. Only the day just before the new one has a next day after it.
CHAIN_PREVIOUS_DAY = """
UPDATE ask_people SET next_day = ?
WHERE user_id = ? AND day < ? AND (next_day IS NULL OR next_day > ?)
"""
# Locks the ask's row (the 👎, hand-off or mark changing it waits for any other) and reads what
# its day counts hold for it.
LOCK_ASK = """
UPDATE asks SET flagged = flagged WHERE ask_id = ?
RETURNING day, platform, entry, answered, marked, flagged
"""
# Params: ask id x3. Marked: someone said "That answers it"; flagged: a 👎 stands or a hand-off
# was asked for (counted only for answered asks: not auto-resolved).
ASK_STATE = """
SELECT
    CASE WHEN EXISTS (SELECT 1 FROM answered_marks WHERE ask_id = ?) THEN 1 ELSE 0 END,
    CASE WHEN EXISTS (SELECT 1 FROM votes WHERE ask_id = ? AND vote = 'down')
        OR EXISTS (SELECT 1 FROM handoffs WHERE ask_id = ?) THEN 1 ELSE 0 END
"""
SET_ASK_STATE = "UPDATE asks SET marked = ?, flagged = ? WHERE ask_id = ?"
COUNT_ASK_STATE = """
UPDATE ask_days SET marked = marked + ?, flagged = flagged + ?
WHERE day = ? AND platform = ? AND entry = ?
"""
VOTE_ASK_ID = "SELECT ask_id FROM votes WHERE platform = ? AND answer_key = ? AND user_id = ?"
COUNT_UNANSWERED_DAY = """
INSERT INTO unanswered_days (day, concepts, asked, newest) VALUES (?, ?, 1, ?)
ON CONFLICT (day, concepts) DO UPDATE SET
    asked = unanswered_days.asked + 1,
    newest = CASE WHEN excluded.newest > unanswered_days.newest THEN excluded.newest ELSE unanswered_days.newest END
"""
GET_ASK = """
SELECT platform, entry, channel, user_id, question, concepts, answered, hits, passage_ids
FROM asks WHERE ask_id = ?
"""
MARK_ANSWERED = """
INSERT INTO answered_marks (ask_id, user_id, marked_at) VALUES (?, ?, ?)
ON CONFLICT (ask_id, user_id) DO NOTHING
RETURNING user_id
"""
OPEN_HANDOFF = """
INSERT INTO handoffs (handoff_id, platform, ask_id, channel, question, asker, helpers, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_HANDOFF_COLUMNS = (
    "handoff_id, platform, ask_id, channel, question, asker, helpers, created_at, resolved_at, resolved_by"
)
GET_HANDOFF = f"SELECT {_HANDOFF_COLUMNS} FROM handoffs WHERE handoff_id = ?"
GET_HANDOFF_FOR_ASK = f"SELECT {_HANDOFF_COLUMNS} FROM handoffs WHERE ask_id = ?"
RESOLVE_HANDOFF = """
UPDATE handoffs SET resolved_at = ?, resolved_by = ?
WHERE handoff_id = ? AND resolved_at IS NULL
RETURNING handoff_id
"""
SET_CHANNEL_HELPERS = """
INSERT INTO channel_helpers (platform, channel, helpers) VALUES (?, ?, ?)
ON CONFLICT (platform, channel) DO UPDATE SET helpers = excluded.helpers
"""
CLEAR_CHANNEL_HELPERS = "DELETE FROM channel_helpers WHERE platform = ? AND channel = ?"
GET_CHANNEL_HELPERS = "SELECT helpers FROM channel_helpers WHERE platform = ? AND channel = ?"
LIST_CHANNEL_HELPERS = "SELECT platform, channel, helpers FROM channel_helpers ORDER BY platform, channel"

# Retention: texts older than the cutoff are forgotten; the rows (the counts) stay.
PURGE_QUESTIONS = (
    "UPDATE asks SET question = NULL WHERE asked_at < ? AND question IS NOT NULL RETURNING ask_id",
    "UPDATE votes SET question = '', reason_text = NULL "
    "WHERE voted_at < ? AND (question <> '' OR reason_text IS NOT NULL) RETURNING user_id",
    "UPDATE handoffs SET question = NULL WHERE created_at < ? AND question IS NOT NULL RETURNING handoff_id",
    "DELETE FROM unanswered WHERE asked_at < ? RETURNING platform",
)

# The insight figures. Day counts take [first day, last day]; the rest [since, until).
INSIGHT_PER_DAY = """
SELECT day, platform, entry, asked, answered FROM ask_days
WHERE day >= ? AND day <= ? ORDER BY day, platform, entry
"""
# Distinct people of days [first, last]: each one's last asked day within them, whose next day
# is none yet or after last. A period up to the newest day has no next day after it, and reads
# only the rows without one (ask_people_last); an older one reads its days (ask_people_day).
# Params: first, last, last, last, first, last.
INSIGHT_ASKERS = """
SELECT (SELECT COUNT(*) FROM ask_people WHERE next_day IS NULL AND day >= ? AND day <= ?)
    + CASE WHEN ? < (SELECT MAX(day) FROM ask_people) THEN (
        SELECT COUNT(*) FROM ask_people WHERE next_day > ? AND day >= ? AND day <= ?
    ) ELSE 0 END
"""
INSIGHT_ASKS = """
SELECT SUM(asked), SUM(answered), SUM(marked), SUM(flagged) FROM ask_days WHERE day >= ? AND day <= ?
"""
INSIGHT_VOTES = """
SELECT vote, COALESCE(reason, 'none'), COUNT(*) FROM votes
WHERE voted_at >= ? AND voted_at < ? GROUP BY vote, COALESCE(reason, 'none')
"""
INSIGHT_HANDOFFS = """
SELECT CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END, COUNT(*) FROM handoffs
WHERE created_at >= ? AND created_at < ? GROUP BY CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END
"""
# Most asked first. The example is the group's newest ask (ask ids sort by time): texts are
# purged oldest first, so it has its text whenever any ask of the group still has one.
INSIGHT_UNANSWERED = """
SELECT g.concepts, g.n, a.question, a.ask_id FROM (
    SELECT concepts, SUM(asked) AS n, MAX(newest) AS newest
    FROM unanswered_days WHERE day >= ? AND day <= ?
    GROUP BY concepts ORDER BY SUM(asked) DESC, concepts LIMIT ?
) g LEFT JOIN asks a ON a.ask_id = g.newest
ORDER BY g.n DESC, g.concepts
"""
INSIGHT_DOWNVOTED_PASSAGES = """
SELECT passage_ids, COUNT(*) FROM votes
WHERE voted_at >= ? AND voted_at < ? AND vote = 'down' GROUP BY passage_ids
"""


def pending_migrations(current: int) -> list[tuple[int, tuple[str, ...]]]:
    """(version, statements) of every migration newer than `current`, in order."""
    return [
        (version, statements) for version, statements in enumerate(MIGRATIONS, start=1) if version > current
    ]
