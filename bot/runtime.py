"""Builds the shared objects every front end needs from Settings."""

from __future__ import annotations

from bot.settings import Settings
from retrieval import Engine, english


def build_engine(settings: Settings) -> Engine:
    """The engine for this process: a saved index when CAREERBOT_INDEX is set, else built from the corpus.

    The English word list every question needs is loaded here, before any worker forks
    and before the first question (about 0.2 s), so no answer waits for it inside
    Slack's three seconds; the corpus speller stays lazy (it is only needed for a typo).
    """
    engine = (
        Engine.load(settings.careerbot_index, settings.careerbot_corpus)
        if settings.careerbot_index
        else Engine.from_corpus(settings.careerbot_corpus)
    )
    english.warm()
    return engine
