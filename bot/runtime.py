"""Builds the shared objects every front end needs from Settings."""

from __future__ import annotations

from bot.settings import Settings
from retrieval import Engine


def build_engine(settings: Settings) -> Engine:
    """The engine for this process: a saved index when CAREERBOT_INDEX is set, else built from the corpus."""
    if settings.careerbot_index:
        return Engine.load(settings.careerbot_index, settings.careerbot_corpus)
    return Engine.from_corpus(settings.careerbot_corpus)
