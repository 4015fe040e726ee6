"""The REST client against the mock API: 429 retry_after and the global flag honoured, bounded,
5xx retried, errors in one line without secrets. A fake clock records the waits (no real sleeping)."""

from __future__ import annotations

import pytest

from bot.discord.rest import MAX_ATTEMPTS, MAX_WAIT_SECONDS, DiscordAPIError, DiscordREST, redact
from tests.support.mock_discord import MockDiscord


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def client(mock: MockDiscord, clock: FakeClock, token: str | None = "secret-token") -> DiscordREST:
    return DiscordREST(mock.api_url, token, sleep=clock.sleep, clock=clock)


def test_route_429_waits_retry_after_then_succeeds(discord_api: MockDiscord) -> None:
    clock = FakeClock()
    discord_api.rate_limit_next(retry_after=0.25, is_global=False)
    result = client(discord_api, clock).request("POST", "/channels/1/messages", {"content": "hi"})
    assert result["content"] == "hi"
    assert clock.slept == [0.25]
    assert [r.path for r in discord_api.requests] == ["/api/v10/channels/1/messages"] * 2
    assert discord_api.requests[-1].headers["Authorization"] == "Bot secret-token"


def test_global_429_pauses_every_route(discord_api: MockDiscord) -> None:
    clock = FakeClock()
    rest = client(discord_api, clock)
    discord_api.rate_limit_next(retry_after=1.5, is_global=True)
    rest.request("POST", "/channels/1/messages", {"content": "a"})
    assert clock.slept == [1.5]
    # Another request, to another route, issued while the global limit still holds, waits it out.
    clock.now -= 1.0  # as if it came 0.5 s after the 429
    rest.request("POST", "/channels/2/messages", {"content": "b"})
    assert clock.slept == [1.5, 1.0]
    # A route limit, by contrast, holds back that route only.
    discord_api.rate_limit_next(retry_after=2.0, is_global=False)
    rest.request("PATCH", "/channels/3/messages/9", {"content": "c"})
    clock.now -= 2.0
    rest.request("POST", "/channels/4/messages", {"content": "d"})
    assert clock.slept == [1.5, 1.0, 2.0]


def test_rate_limits_are_bounded(discord_api: MockDiscord) -> None:
    clock = FakeClock()
    discord_api.rate_limit_next(retry_after=0.1, is_global=True, times=MAX_ATTEMPTS)
    with pytest.raises(DiscordAPIError) as info:
        client(discord_api, clock).request("PUT", "/applications/1/commands", [])
    assert info.value.status == 429 and f"after {MAX_ATTEMPTS} attempt(s)" in str(info.value)
    assert len(discord_api.requests) == MAX_ATTEMPTS and clock.slept == [0.1] * (MAX_ATTEMPTS - 1)

    discord_api.requests.clear()
    discord_api.fail(
        "", "", 429, {"message": "slow down", "retry_after": MAX_WAIT_SECONDS + 50, "global": False}
    )
    with pytest.raises(DiscordAPIError, match="retry_after 60.00 s"):
        client(discord_api, FakeClock()).request("PUT", "/applications/1/commands", [])
    assert len(discord_api.requests) == 1  # a long wait is not worth holding a thread for: give up now


def test_retry_after_header_is_used_when_the_body_has_none(discord_api: MockDiscord) -> None:
    clock = FakeClock()
    discord_api.fail("", "", 429, {"message": "limited"}, headers={"Retry-After": "3"})
    discord_api.fail("", "", 429, {"message": "limited"}, headers={"X-RateLimit-Global": "true"})
    rest = client(discord_api, clock)
    rest.request("GET", "/users/@me")
    assert clock.slept == [3.0, 1.0]  # the header's 3 s; then neither: the 1 s default
    clock.now -= 0.5
    rest.request("GET", "/gateway")  # that second 429 was global by its header: other routes wait too
    assert clock.slept == [3.0, 1.0, 0.5]


def test_server_errors_are_retried_then_reported_in_one_line(discord_api: MockDiscord) -> None:
    clock = FakeClock()
    discord_api.fail("", "", 502, times=1)
    assert client(discord_api, clock).request("GET", "/users/@me")["id"] == "42"
    discord_api.fail("", "", 403, {"message": "Missing Access", "code": 50001})
    with pytest.raises(DiscordAPIError) as info:
        client(discord_api, clock).request("PUT", "/applications/1/guilds/2/commands", [])
    assert str(info.value) == "PUT /applications/1/guilds/2/commands: HTTP 403 Missing Access"
    assert info.value.status == 403 and "secret-token" not in str(info.value)


def test_unreachable_api_is_a_clear_error() -> None:
    clock = FakeClock()
    rest = DiscordREST("http://127.0.0.1:9/api/v10", "t", sleep=clock.sleep, clock=clock)  # discard port
    with pytest.raises(DiscordAPIError, match=r"^GET /users/@me: "):
        rest.request("GET", "/users/@me")
    assert len(clock.slept) == MAX_ATTEMPTS - 1


def test_webhook_calls_send_no_bot_token_and_logs_hide_the_interaction_token(
    discord_api: MockDiscord,
) -> None:
    rest = client(discord_api, FakeClock())
    rest.edit_original("77", "itok-secret", {"content": "x"})
    rest.followup("77", "itok-secret", {"content": "y"})
    edit, follow = discord_api.requests
    assert (edit.method, edit.path) == ("PATCH", "/api/v10/webhooks/77/itok-secret/messages/@original")
    assert (follow.method, follow.path) == ("POST", "/api/v10/webhooks/77/itok-secret")
    assert "Authorization" not in edit.headers and "Authorization" not in follow.headers
    assert redact("/webhooks/77/itok-secret/messages/@original") == "/webhooks/77/***/messages/@original"
    discord_api.fail("PATCH", "", 404, {"message": "Unknown Webhook", "code": 10015})
    with pytest.raises(DiscordAPIError) as info:
        rest.edit_original("77", "itok-secret", {"content": "x"})
    assert "itok-secret" not in str(info.value) and "Unknown Webhook" in str(info.value)
