"""Discord's side of an interaction: settings for a Discord-only app, and Ed25519-signed posts."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from bot.settings import Settings
from tests.support.discord_payloads import APP_ID
from tests.support.http import Response, http_post
from tests.support.mock_discord import MockDiscord

BOT_TOKEN = "bot-token-secret"


def make_settings(
    signing_key: SigningKey, discord_api: MockDiscord, tmp_path: Path, **extra: object
) -> Settings:
    """Discord settings only (no Slack), pointed at the mock REST API."""
    return Settings(
        _env_file=None,
        discord_public_key=signing_key.verify_key.encode().hex(),
        discord_application_id=APP_ID,
        discord_bot_token=BOT_TOKEN,
        discord_api_url=discord_api.api_url,
        careerbot_db=tmp_path / "d.db",
        **extra,
    )


@dataclass
class Client:
    """Posts interactions signed like Discord does: Ed25519 over timestamp + raw body."""

    url: str
    key: SigningKey

    def post(
        self,
        payload: dict | str,
        *,
        timestamp: int | None = None,
        key: SigningKey | None = None,
        tamper: bool = False,
    ) -> Response:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = (key or self.key).sign(ts.encode() + body.encode()).signature.hex()
        if tamper:  # one byte changed after signing
            body = body.replace("question", "questioN", 1) if "question" in body else body + " "
        headers = {
            "X-Signature-Ed25519": signature,
            "X-Signature-Timestamp": ts,
            "Content-Type": "application/json",
        }
        return http_post(self.url + "/discord/interactions", body, headers)
