"""A local Discord gateway (WebSocket, ephemeral port) speaking just enough of the protocol for
discord.py: HELLO, heartbeat ACKs, READY after IDENTIFY, then recorded dispatch events (an
entry {"wait": threading.Event} holds the rest until the test sets it); it
closes with a chosen code when the test says so (4004 "authentication failed" ends the run)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from tests.support.discord_payloads import APP_ID
from tests.support.mock_discord import BOT_USER


class FakeGateway:
    def __init__(
        self, events: list[dict[str, Any]], close_code: int = 4004, guilds: list[dict] | None = None
    ):
        self.events = events
        self.close_code = close_code
        self.guilds = guilds or []
        self.identify: dict[str, Any] | None = None
        self.release = threading.Event()  # set by the test: close the connection now
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeGateway:
        self._thread.start()
        assert self._ready.wait(30), "fake gateway did not start within 30 s"
        if self._failed is not None:  # said at once, with the reason, instead of a bare timeout
            raise AssertionError(f"fake gateway did not start: {self._failed!r}") from self._failed
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by __enter__ (or lost after the test: harmless)
            self._failed = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._session, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _session(self, ws: ServerConnection) -> None:
        await ws.send(json.dumps({"op": 10, "d": {"heartbeat_interval": 45_000}}))
        async for raw in ws:
            message = json.loads(raw)
            if message["op"] == 1:  # heartbeat
                await ws.send(json.dumps({"op": 11}))
            elif message["op"] == 2:  # identify
                self.identify = message["d"]
                if self.close_code == 4014:  # disallowed intents: refused at once, as Discord does
                    await ws.close(code=4014, reason="Disallowed intent(s).")
                    return
                await self._dispatch(ws, "READY", 1, self._ready_payload())
                sequence = 2
                for event in self.events:
                    if "wait" in event:  # a threading.Event the test sets: hold the next events until then
                        await asyncio.to_thread(event["wait"].wait, 20)
                        continue
                    await self._dispatch(ws, event["t"], sequence, event["d"])
                    sequence += 1
                await asyncio.to_thread(self.release.wait, 20)
                await ws.close(code=self.close_code, reason="test over")
                return

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
            "session_id": "session-1",
            "resume_gateway_url": self.url,
            "application": {"id": APP_ID, "flags": 0},
        }

    @staticmethod
    async def _dispatch(ws: ServerConnection, name: str, sequence: int, data: dict[str, Any]) -> None:
        await ws.send(json.dumps({"op": 0, "t": name, "s": sequence, "d": data}))
