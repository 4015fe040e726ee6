"""Socket Mode (Procfile `worker`): the Slack app over a WebSocket, for running behind a firewall."""

from __future__ import annotations

import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.health import start_heartbeat
from bot.runtime import build_engine
from bot.settings import Settings
from bot.shutdown import GRACE_SECONDS, drain
from bot.slack.app import check_slack_token, create_app, listener_executor
from bot.store import Store, open_store
from retrieval import Engine


def socket_mode_handler(
    settings: Settings, engine: Engine, store: Store, executor: ThreadPoolExecutor
) -> SocketModeHandler:
    """The Socket Mode connection for the Slack app (connect() or start() it); its listeners
    run in `executor`, which `drain_socket_mode()` drains."""
    settings.require_slack_socket()
    return SocketModeHandler(create_app(settings, engine, store, executor=executor), settings.slack_app_token)


def drain_socket_mode(
    handler: SocketModeHandler, executor: ThreadPoolExecutor, timeout: float = GRACE_SECONDS
) -> bool:
    """Close the connection first (no new envelopes), then finish acknowledged answers, within
    `timeout` seconds; True when all finished."""
    handler.close()
    return drain([executor], timeout)


def serve_socket_mode(settings: Settings) -> int:
    """Socket Mode for running behind a firewall, until SIGTERM."""
    settings.require_slack_socket()
    check_slack_token(settings, must_reach=True)
    settings.configure_logging()
    executor = listener_executor()
    handler = socket_mode_handler(settings, build_engine(settings), open_store(settings), executor)

    def stop(signum: int, frame: FrameType | None) -> None:
        drain_socket_mode(handler, executor)
        if heartbeat is not None:
            heartbeat.stop()
        sys.exit(0)

    # The health signal is the WebSocket's own state: false while the client reconnects.
    heartbeat = start_heartbeat(settings, "slack-socket-mode", handler.client.is_connected)
    signal.signal(signal.SIGTERM, stop)
    try:
        handler.start()
    finally:
        if heartbeat is not None:
            heartbeat.stop()
    return 0
