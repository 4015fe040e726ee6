"""careerbot's retrieval: documents -> passages -> BM25 index -> answers.

Public API: Engine, Answer, Hit, Document, Passage, OverviewItem and the errors.
"""

from retrieval.engine import EXAMPLE_QUESTIONS, NO_ANSWER_TEXT, Engine
from retrieval.errors import CareerbotError, CorpusError, IndexFileError, QuestionError
from retrieval.models import Answer, Document, Hit, OverviewItem, Passage

__all__ = [
    "EXAMPLE_QUESTIONS",
    "NO_ANSWER_TEXT",
    "Answer",
    "CareerbotError",
    "CorpusError",
    "Document",
    "Engine",
    "Hit",
    "IndexFileError",
    "OverviewItem",
    "Passage",
    "QuestionError",
]
