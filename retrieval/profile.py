"""Per-corpus bot text: careerbot.yaml beside the documents (see corpus/README.md).

Every sentence the bot says of its own, besides the quoted passages, that depends on what
the corpus is about: its name, the no-answer sentence, example questions, the overview
aspects of /mle-vs-swe, the Home tab's description, and whether the bundled synonyms
apply. A corpus without the file gets neutral text (no career words), so a team's own
handbook never shows career examples it cannot answer.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrieval.documents import parse_yaml, read_corpus_text
from retrieval.errors import CorpusError

PROFILE_FILE = "careerbot.yaml"
MAX_PROFILE_BYTES = 64_000


class OverviewAspect(BaseModel):
    """One row of the overview: a label and the query that finds its passage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aspect: str = Field(min_length=1, max_length=80)
    query: str = Field(min_length=1, max_length=300)


class CorpusProfile(BaseModel):
    """What the bot says about a corpus; every field has a neutral default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="careerbot", min_length=1, max_length=80)
    description: str = Field(
        default="I answer questions by quoting the documents I was given, with their sources.",
        max_length=1000,
    )
    no_answer: str = Field(
        default="Sorry, the documents I answer from have nothing good on that. You could ask, for example:",
        min_length=1,
        max_length=500,
    )
    examples: tuple[str, ...] = Field(default=(), max_length=10)
    overview: tuple[OverviewAspect, ...] = Field(default=(), max_length=10)
    # "bundled": also use careerbot's own synonyms (corpus/synonyms.txt), for a corpus on
    # the same subject. A synonyms.txt beside the documents always applies.
    synonyms: str | None = Field(default=None, pattern="^bundled$")


def profile_file(corpus: Path) -> Path:
    """Where a corpus's profile lives: in its directory, or beside its .jsonl file."""
    return (corpus if corpus.is_dir() else corpus.parent) / PROFILE_FILE


def load_profile(corpus: Path) -> CorpusProfile:
    """The corpus's careerbot.yaml, or the neutral profile. Raises CorpusError naming a bad field."""
    path = profile_file(corpus)
    if not path.exists() and not path.is_symlink():
        return CorpusProfile()
    # The corpus loader's rules: a regular file inside the corpus, size-checked before it
    # is opened; YAML of bounded size and nesting.
    root = corpus if corpus.is_dir() else corpus.parent
    text = read_corpus_text(path, root, limit=MAX_PROFILE_BYTES)
    data = parse_yaml(path, text, what="careerbot.yaml", limit=MAX_PROFILE_BYTES)
    if data is None:
        return CorpusProfile()
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: expected a mapping of settings (name, no_answer, examples, ...)")
    try:
        return CorpusProfile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "file"
        raise CorpusError(f"{path}: {where}: {err['msg']}") from None
