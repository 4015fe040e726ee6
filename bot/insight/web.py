"""/insight: a Flask blueprint for the web process, guarded by CAREERBOT_INSIGHT_TOKEN.

No token configured: every /insight route is 404 (the page does not exist). With one, a
request is let in when it sends `Authorization: Bearer <token>`, or the cookie that the
login form sets. The cookie holds an HMAC of the token, not the token, so rotating the
token signs everyone out. Responses are never cached and carry a Content-Security-Policy
that allows no script at all.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from bot.insight import render
from bot.insight.explain import explain_view
from bot.insight.period import Period, PeriodError, parse_period
from bot.settings import Settings
from bot.store import Store, StoreError
from retrieval import Engine

logger = logging.getLogger(__name__)

COOKIE = "careerbot_insight"
COOKIE_MAX_AGE = 7 * 86400
MAX_FORM_BYTES = 4096
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"careerbot-insight-cookie-v1", hashlib.sha256).hexdigest()


def period_from(args: dict[str, str], today: datetime | None = None) -> Period:
    """The form's period: the date range when its button was used, else the `days` choice."""
    today_date = (today or datetime.now(UTC)).date()
    use_range = bool(args.get("range")) or (("from" in args or "to" in args) and "days" not in args)
    if use_range:
        return parse_period(start=args.get("from"), end=args.get("to"), today=today_date)
    return parse_period(days=args.get("days"), today=today_date)


def passage_lookup(engine: Engine) -> Callable[[str], tuple[str, str] | None]:
    """passage id -> (document title, text); the id map is built on first use, once."""
    positions: dict[str, int] = {}

    def lookup(passage_id: str) -> tuple[str, str] | None:
        if not positions:
            positions.update({p.id: n for n, p in enumerate(engine.passages)})
        n = positions.get(passage_id)
        if n is None:
            return None
        passage = engine.passages[n]
        try:
            title = engine.document(passage.doc_id).title
        except KeyError:
            title = passage.doc_id
        return title, passage.text

    return lookup


def create_insight_blueprint(settings: Settings, engine: Engine, store: Store) -> Blueprint:
    """The /insight routes; all 404 unless CAREERBOT_INSIGHT_TOKEN is set."""
    bp = Blueprint("insight", __name__)
    token = settings.careerbot_insight_token
    expected_cookie = cookie_value(token) if token else ""
    passages = passage_lookup(engine)

    def html(body: str, status: int = 200) -> Response:
        response = Response(body, status=status, mimetype="text/html")
        response.headers.update(SECURITY_HEADERS)
        return response

    def signed_in() -> bool:
        assert token
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
            return True
        return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), expected_cookie.encode())

    def login_required() -> Response:
        next_url = request.full_path.rstrip("?") if request.method == "GET" else "/insight"
        response = html(render.login_page(next_url=next_url), 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="careerbot insight"'
        return response

    @bp.before_request
    def gate() -> Response | None:
        if not token:
            abort(404)  # the page is off
        if request.endpoint in ("insight.login",) or signed_in():
            return None
        return login_required()

    @bp.get("/insight")
    def insight_page() -> Response:
        try:
            period = period_from(request.args.to_dict())
        except PeriodError as exc:
            return html(render.message_page("careerbot insight", str(exc)), 400)
        try:
            figures = store.insight(period.since, period.until)
        except StoreError as exc:
            logger.error("insight page: %s", exc)
            return html(
                render.message_page("careerbot insight", "The database can't be read right now."), 503
            )
        return html(render.insight_page(figures, period, passages))

    @bp.get("/insight/explain")
    def explain() -> Response:
        ask_id = request.args.get("ask", "")[:64]
        try:
            ask = store.get_ask(ask_id) if ask_id else None
        except StoreError as exc:
            logger.error("insight explain: %s", exc)
            return html(
                render.message_page("careerbot insight", "The database can't be read right now."), 503
            )
        if ask is None:
            return html(
                render.message_page(
                    "careerbot insight", "That question is gone (past the retention period)."
                ),
                404,
            )
        return html(render.explain_page(explain_view(engine, ask.question)))

    @bp.post("/insight/login")
    def login() -> BaseResponse:
        assert token
        if (request.content_length or 0) > MAX_FORM_BYTES:
            return html(render.message_page("careerbot insight", "That form is too large."), 413)
        given = request.form.get("token", "").strip()
        next_url = request.form.get("next", "/insight")
        if not next_url.startswith("/insight") or next_url.startswith("/insight/login"):
            next_url = "/insight"  # only ever back into this page, never to another site
        if not hmac.compare_digest(given.encode(), token.encode()):
            refused = html(render.login_page("That token is not right.", next_url), 401)
            refused.headers["WWW-Authenticate"] = 'Bearer realm="careerbot insight"'
            return refused
        response = redirect(next_url, code=303)
        secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "") == "https"
        response.set_cookie(
            COOKIE,
            expected_cookie,
            max_age=COOKIE_MAX_AGE,
            path="/insight",
            httponly=True,
            secure=secure,
            samesite="Strict",
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    @bp.post("/insight/logout")
    def logout() -> BaseResponse:
        response = redirect("/insight", code=303)
        response.delete_cookie(COOKIE, path="/insight")
        return response

    return bp
