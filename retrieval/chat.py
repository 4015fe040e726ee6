"""Chat cleaning: what a person typed in Slack or Discord, minus what carries no question.

Removed before analysis: the bot's name and @mentions, links, greetings and sign-offs,
fillers and hedges ("quick q", "lol", "tbh"), emoji and chat formatting. Rewritten: chat spellings
and abbreviations ("whats", "u", "w/", "k8s"). Both lists are data files, corpus-
independent and shipped with the engine (retrieval/data/chat_fillers.txt,
chat_spellings.txt and chat_addressees.txt).

The cleaned text is only what is *searched*: the asker's question is echoed as typed.
Pure functions; the rules are loaded once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from retrieval.errors import CorpusError

# Word tokens as the analyzer sees them (letters/digits with inner apostrophes, c++/c#),
# plus the slash abbreviations ("w/", "w/o", "b/c") that the analyzer would cut in two.
_TOKEN = re.compile(r"(?<!\w)(?:w/o|w/|b/c)(?!\w)|[^\W_]+(?:['’][^\W_]+)*[+#]*", re.IGNORECASE)
# Markdown emphasis, code and spoiler marks of Slack and Discord (*b*, _i_, ~s~, `c`, ||s||).
_FORMATTING = re.compile(r"(\*{1,3}|_{1,3}|~{1,2}|`{1,3}|\|\|)")
_QUOTE_MARK = re.compile(r"(?m)^\s*>+\s?")
# Mentions address people or the bot; they are never part of a question: Slack's and
# Discord's markup (<@U123>, <@!123>, <@&123>, <#C123|name>, <!here>) and a typed @name
# (not an e-mail address: the @ must not follow a word character).
_MENTION = re.compile(r"<[@#!][^<>\s]*>|(?<![\w@])@[^\W_][\w.-]*")
# A bare link (Discord and pasted text; Slack's <https://...|label> markup is gone before this)
# refers to something, it asks nothing: its pieces ("https", "medium", "8a7f6c") would count
# as words the documents lack and refuse the question around it.
_URL = re.compile(r"(?i)(?<![\w@])(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>]*[^\s<>.,;:!?)\]}'\"]")
# A vocative "bot" at the very start ("hey bot, ..."), once the greeting is gone.
_GENERIC_NAMES = ("bot", "@bot")


class ChatRules(BaseModel):
    """The filler phrases and chat spellings, as lower-case word tuples."""

    model_config = ConfigDict(frozen=True)

    fillers: frozenset[tuple[str, ...]]
    spellings: dict[str, tuple[str, ...]]
    # Whom a greeting addresses ("everyone", "all"): removed right after an opening filler.
    addressees: frozenset[str] = frozenset()

    @cached_property
    def filler_starts(self) -> frozenset[str]:
        """First words of the fillers: most words start none, and need no longer look."""
        return frozenset(f[0] for f in self.fillers)

    @cached_property
    def longest_filler(self) -> int:
        # Once per rules object, not once per question (it walks every filler).
        return max((len(f) for f in self.fillers), default=0)


class ChatText(BaseModel):
    """A question after chat cleaning, with what was removed and rewritten (for --explain)."""

    model_config = ConfigDict(frozen=True)

    text: str
    removed: tuple[str, ...] = ()
    rewritten: tuple[tuple[str, str], ...] = ()


def _fold(token: str) -> str:
    """A token as the lists spell it: lower case, typographic apostrophe made plain."""
    return token.lower().replace("’", "'")


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(map(_fold, _TOKEN.findall(phrase)))


def _lines(text: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


def parse_fillers(text: str, source: Path | None = None) -> frozenset[tuple[str, ...]]:
    """One phrase per line; '#' starts a comment line."""
    return frozenset(w for _, line in _lines(text) if (w := _words(line)))


def parse_spellings(text: str, source: Path | None = None) -> dict[str, tuple[str, ...]]:
    """`typed = meant` lines; `typed` is one word. Raises CorpusError naming a bad line."""
    out: dict[str, tuple[str, ...]] = {}
    for number, line in _lines(text):
        typed, sep, meant = line.partition("=")
        key = _words(typed)
        if not sep or len(key) != 1 or not _words(meant):
            where = f"{source}:{number}" if source else f"line {number}"
            raise CorpusError(f"{where}: expected 'typed = meant' with one typed word, got {line!r}")
        out[key[0]] = _words(meant)
    return out


def _package_text(name: str) -> str:
    return resources.files("retrieval").joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_rules() -> ChatRules:
    """The engine's own corpus-independent lists."""
    return ChatRules(
        fillers=parse_fillers(_package_text("chat_fillers.txt")),
        spellings=parse_spellings(_package_text("chat_spellings.txt")),
        addressees=frozenset(
            w for words in parse_fillers(_package_text("chat_addressees.txt")) for w in words
        ),
    )


def strip_formatting(text: str) -> str:
    """Chat markdown marks and quote markers out; the words inside stay."""
    return _FORMATTING.sub(" ", _QUOTE_MARK.sub(" ", text))


def clean_chat(
    text: str,
    rules: ChatRules,
    names: Sequence[str] = (),
    corpus_has: Callable[[str], bool] = lambda _word: False,
) -> ChatText:
    """The searchable part of a chat message.

    `names` are the bot's names ("careerbot"): removed wherever they stand, with or without
    "@". `corpus_has(word)` tells whether the corpus uses a lower-case word: a chat
    spelling is left alone when the corpus itself uses the typed form ("prod" in a corpus
    that says "prod"), and a filler is removed only from chat, never a word the question
    would lose its meaning without: the lists hold no such word by design.
    """
    removed: list[str] = _URL.findall(text)
    text = _URL.sub(" ", text)
    removed += _MENTION.findall(text)
    tokens = _TOKEN.findall(strip_formatting(_MENTION.sub(" ", text)))
    lowered = [_fold(t) for t in tokens]
    own_names = {n.lower().lstrip("@") for n in names if n.strip()}
    kept: list[str] = []
    rewritten: list[tuple[str, str]] = []
    longest = rules.longest_filler
    i = 0
    while i < len(tokens):
        word = lowered[i].lstrip("@")
        if word in own_names or (not kept and word in _GENERIC_NAMES and i + 1 < len(tokens)):
            removed.append(tokens[i])
            i += 1
            continue
        size = (
            next(
                (
                    n
                    for n in range(min(longest, len(tokens) - i), 0, -1)
                    if tuple(lowered[i : i + n]) in rules.fillers
                ),
                0,
            )
            if lowered[i] in rules.filler_starts
            else 0
        )
        if size:
            removed.append(" ".join(tokens[i : i + size]))
            i += size
            # "good morning everyone": whom an opening greeting addresses goes with it.
            while not kept and i < len(tokens) and lowered[i] in rules.addressees:
                removed.append(tokens[i])
                i += 1
            continue
        # A contraction typed with its apostrophe ("don't", "isn't") is the same word as
        # the list's apostrophe-less spelling; without this the analyzer, which drops the
        # apostrophe, would see "dont" and the speller would make it "done".
        meant = rules.spellings.get(lowered[i]) or rules.spellings.get(lowered[i].replace("'", ""))
        # A capital letter alone is a name, not chat: "R" is the language, "r" is "are".
        single_capital = len(tokens[i]) == 1 and tokens[i].isupper()
        if meant is not None and not single_capital and not corpus_has(lowered[i]):
            rewritten.append((tokens[i], " ".join(meant)))
            kept.extend(meant)
        else:
            kept.append(tokens[i])
        i += 1
    return ChatText(text=" ".join(kept), removed=tuple(removed), rewritten=tuple(rewritten))
