"""Ed25519 verification of Discord interaction requests."""

from __future__ import annotations

import time

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

MAX_CLOCK_SKEW_SECONDS = 300


def verify_request(
    public_key_hex: str,
    signature_hex: str | None,
    timestamp: str | None,
    body: bytes,
    now: float | None = None,
) -> bool:
    """True when `signature` is the app key's Ed25519 signature of timestamp + body, and the
    timestamp is within five minutes. Missing or malformed values are simply invalid."""
    if not signature_hex or not timestamp:
        return False
    try:
        sent = int(timestamp)
        if abs((now if now is not None else time.time()) - sent) > MAX_CLOCK_SKEW_SECONDS:
            return False
        VerifyKey(bytes.fromhex(public_key_hex)).verify(
            timestamp.encode() + body, bytes.fromhex(signature_hex)
        )
    except (ValueError, BadSignatureError, TypeError):
        return False
    return True
