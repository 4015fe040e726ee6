"""Errors raised by the retrieval package, and the root of careerbot's error family.

bot/errors.py lays out the whole family (settings, store and platform errors subclass
CareerbotError there: retrieval never imports bot).

CareerbotError
 +-- CorpusError      a document or corpus cannot be loaded (names the file, and the line for JSONL)
 +-- QuestionError    a question cannot be searched (empty, too long, control characters)
 +-- IndexFileError   a saved index is corrupt, stale, or was built from another corpus
"""


class CareerbotError(Exception):
    """Base class of every error careerbot reports to a person."""


class CorpusError(CareerbotError):
    """A document or corpus is invalid; the message names the file (and line) and the problem."""


class QuestionError(CareerbotError):
    """A question cannot be answered as given; the message says why in one line."""


class IndexFileError(CareerbotError):
    """A saved index cannot be used; the message names the file and the problem."""
