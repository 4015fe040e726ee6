"""Socket Mode against a local WebSocket server: envelopes acknowledged and answered once."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from bench.mock_slack import MockSlack
from bench.slack_signing import event_body
from bot.settings import Settings
from bot.slack.app import listener_executor
from bot.slack.socket_mode import drain_socket_mode, socket_mode_handler
from bot.store.sqlite import SQLiteStore
from retrieval import Engine


class SocketServer:
    """A WebSocket endpoint playing Slack's side of Socket Mode."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.connected = threading.Event()
        self._outbox: asyncio.Queue[str] | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        threading.Thread(target=self._run, daemon=True).start()
        assert self._ready.wait(30), "the Socket Mode server did not start within 30 s"
        if self._failed is not None:  # said at once, with the reason, instead of a bare timeout
            raise AssertionError(f"the Socket Mode server did not start: {self._failed!r}") from self._failed

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:
            self._failed = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._outbox = asyncio.Queue()
        self._stop = asyncio.Event()

        async def handler(ws) -> None:  # noqa: ANN001
            await ws.send(json.dumps({"type": "hello", "num_connections": 1}))
            self.connected.set()

            async def pump() -> None:
                while True:
                    await ws.send(await self._outbox.get())

            pumping = asyncio.ensure_future(pump())
            try:
                async for message in ws:
                    self.received.append(json.loads(message))
            except websockets.ConnectionClosed:
                pass
            finally:
                pumping.cancel()

        async with websockets.serve(handler, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def send(self, envelope: dict) -> None:
        self._loop.call_soon_threadsafe(self._outbox.put_nowait, json.dumps(envelope))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)


@pytest.fixture
def socket_server() -> Iterator[SocketServer]:
    server = SocketServer()
    yield server
    server.close()


def envelope(envelope_id: str, event_id: str, retry: int = 0) -> dict:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> what is MLOps?",
        "ts": "11.0",
        "channel": "C1",
    }
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": json.loads(event_body(event, event_id=event_id)),
    }


def test_envelopes_are_acknowledged_and_answered_once(socket_server: SocketServer, tmp_path: Path) -> None:
    with MockSlack() as slack:
        slack.socket_url = socket_server.url
        settings = Settings(
            _env_file=None, slack_bot_token="xoxb-s", slack_app_token="xapp-s", slack_api_url=slack.api_url
        )
        executor = listener_executor()
        handler = socket_mode_handler(
            settings, Engine.from_corpus(), SQLiteStore(tmp_path / "s.db"), executor
        )
        handler.connect()
        try:
            assert socket_server.connected.wait(10)
            assert slack.calls_to("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-s"
            socket_server.send(envelope("env-1", "EvSock"))
            [reply] = slack.wait_for("chat.postMessage")
            assert reply.body["thread_ts"] == "11.0" and "MLOps" in json.dumps(reply.body["blocks"])
            socket_server.send(envelope("env-2", "EvSock", retry=1))  # Slack's retry of the same event
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(socket_server.received) < 2:
                time.sleep(0.05)
            assert [m["envelope_id"] for m in socket_server.received] == ["env-1", "env-2"]  # both acked
            time.sleep(0.3)
            assert len(slack.calls_to("chat.postMessage")) == 1  # answered once
        finally:
            assert drain_socket_mode(handler, executor, timeout=10)
