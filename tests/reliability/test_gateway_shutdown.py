"""SIGTERM to the Discord gateway worker (`careerbot discord gateway`, a real process against the
mock REST API and the fake gateway) while an answer is being sent: the answer is finished, then
the worker exits 0. discord.py alone dies on the signal and the answer is lost."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from tests.discord.test_gateway import message_payload
from tests.support.discord_client import BOT_TOKEN
from tests.support.fake_gateway import FakeGateway
from tests.support.mock_discord import MockDiscord
from tests.support.processes import start, tail, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_while_an_answer_is_being_sent_finishes_it_then_exits_0(tmp_path: Path) -> None:
    dm = message_payload("What is a feature store?", guild=False, id="601", channel_id="11")
    with MockDiscord() as api, FakeGateway([{"t": "MESSAGE_CREATE", "d": dm}], close_code=1000) as gateway:
        release = api.hold("POST", "/channels/11/messages")  # Discord is slow to take the reply
        env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
        env.update(
            PYTHONPATH=str(ROOT),
            DISCORD_BOT_TOKEN=BOT_TOKEN,
            DISCORD_API_URL=api.api_url,
            DISCORD_GATEWAY_URL=gateway.url,
            CAREERBOT_DB=str(tmp_path / "gateway.db"),
        )
        log = tmp_path / "gateway.log"
        proc = start([sys.executable, "-m", "bot", "discord", "gateway"], env=env, cwd=tmp_path, log=log)
        try:
            # Positive signals, no sleeps: the reply reached Discord (held there), then the
            # worker said it is finishing it after the SIGTERM.
            assert api.wait_for("POST", path_contains="/channels/11/messages", timeout=120), tail(log)
            proc.send_signal(signal.SIGTERM)
            wait_for("the worker to start its shutdown", lambda: "shutting down" in tail(log), proc, log)
            release.set()
            assert proc.wait(timeout=60) == 0, tail(log)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    output = log.read_text()
    assert "shutting down: finishing 1 answer(s) in progress" in output
    assert "not delivered" not in output and "Traceback" not in output and BOT_TOKEN not in output
    store = SQLiteStore(tmp_path / "gateway.db")
    try:
        # The handler ran to its end after the reply came back: the DM's conversation is
        # followed, and the bot's answer (message 900 on the mock) is linked to it.
        assert store.thread_of_message("discord", "900") == "reply:601"
    finally:
        store.close()
