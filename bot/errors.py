"""careerbot's errors: one family, each message one line a person can act on.

```
CareerbotError                  root (retrieval/errors.py: retrieval never imports bot)
 +-- CorpusError                a document or corpus cannot be loaded (names the file, and the line for JSONL)
 +-- QuestionError              a question cannot be searched (empty, too long, control characters)
 +-- IndexFileError             a saved index is corrupt, stale, or was built from another corpus
 +-- SettingsError              a setting is missing or malformed (names the variable)
 +-- StoreError                 the store cannot be reached or written (names the setting, never a password)
 +-- PlatformAPIError           a chat platform's API failed a call for good (never a token)
      +-- DiscordAPIError       a Discord REST call: which call and why; `.status` is the HTTP status
```

Who catches what: the CLI turns any CareerbotError into `careerbot: error: <message>` and
exit status 2. Front ends catch only what they expect: QuestionError becomes a kind reply
(bot/answering.py), StoreError a log line (answering twice beats not answering), a
PlatformAPIError a log line with the interaction or event id. Anything else is a bug and goes
to the platform's error handler with a traceback. Slack's own `SlackApiError` (slack_sdk) is
caught where a Web API call is made and is not wrapped.
"""

from __future__ import annotations

from retrieval.errors import CareerbotError, CorpusError, IndexFileError, QuestionError

__all__ = [
    "CareerbotError",
    "CorpusError",
    "DiscordAPIError",
    "IndexFileError",
    "PlatformAPIError",
    "QuestionError",
    "SettingsError",
    "StoreError",
]


class SettingsError(CareerbotError):
    """A setting is missing or malformed; str() is one line naming the variable."""


class StoreError(CareerbotError):
    """The store could not be reached or written (e.g. read-only or full database)."""


class PlatformAPIError(CareerbotError):
    """A call to a chat platform's API failed for good (after bounded retries)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DiscordAPIError(PlatformAPIError):
    """A Discord REST call failed for good; str() says which call and why (never the token)."""
