"""The answer engine: question in, Answer out. Built once at start-up, shared read-only."""

from __future__ import annotations

from pathlib import Path

from retrieval.models import Answer, Document, OverviewItem

# Fixed sentences of ours, offered when the corpus has no answer and on the Home tab.
EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "What does a machine learning engineer do day to day?",
    "How is an ML engineer different from a software engineer?",
    "Will ML engineers need to learn DevOps?",
)


class Engine:
    """Search a corpus of career articles; see ask()."""

    documents: tuple[Document, ...]

    @classmethod
    def from_corpus(cls, path: Path | str | None = None) -> Engine:
        """Load, validate, split and index a corpus (default: the bundled corpus/)."""
        raise NotImplementedError

    def ask(self, question: str, top_k: int = 3) -> Answer:
        """The top_k most relevant passages, or answered=False. Raises QuestionError on bad input."""
        raise NotImplementedError

    def overview(self) -> list[OverviewItem]:
        """How the MLE and SWE roles differ, one passage per aspect (for /mle-vs-swe with no text)."""
        raise NotImplementedError

    def example_questions(self) -> tuple[str, ...]:
        return EXAMPLE_QUESTIONS
