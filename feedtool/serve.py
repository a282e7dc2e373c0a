"""`feedtool serve`: sign-up with double opt-in, confirmation and unsubscribe pages (Starlette).

GET never changes anything but a confirmation (mail scanners prefetch links: an unsubscribe
takes a POST, which RFC 8058's one-click sends). The signed token in the path is the whole
capability: no cookie, no CSRF token. Every sign-up gets the same answer, whatever the store
holds for the address, so the service tells no one who subscribes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache
from urllib.parse import parse_qs

from . import tokens
from .config import Site
from .subscribers import Store, Subscriber

log = logging.getLogger("feedtool.serve")
MAX_BODY = 8192  # bytes of a POST: a form with one address needs a few hundred
_HOUR = 3600.0
HEADERS = {  # the token is in the path: never sent on as a Referer, never framed
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}


class RateLimit:
    """At most `limit` events per key in any `window` seconds (a sliding window, in memory)."""

    def __init__(
        self, limit: int, window: float = _HOUR, clock: Callable[[], float] = time.monotonic
    ):
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False if it is one too many."""
        now = self.clock()
        with self._lock:
            if len(self._seen) > 100_000:  # forget clients gone quiet, so memory stays bounded
                self._seen = {
                    k: v for k, v in self._seen.items() if v and v[-1] > now - self.window
                }
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


@cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("feedtool", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(site: Site, name: str, **values: object) -> str:
    """One of the service's pages (templates/subscribe-*.html.j2)."""
    return _environment().get_template(f"subscribe-{name}.html.j2").render(site=site, **values)


def snippet(site: Site) -> str:
    """An HTML form for the blog's pages that posts to the service."""
    return _environment().get_template("subscribe-snippet.html.j2").render(site=site)


def confirmation(site: Site, address: str, link: str) -> EmailMessage:
    """The double opt-in mail: plain text, one link."""
    from datetime import datetime
    from email.policy import SMTP

    from .digest import format_rfc822, sender

    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = f"请确认订阅{site.title}"
    msg["From"] = sender(site)
    msg["To"] = address
    msg["Date"] = format_rfc822(datetime.now(site.zone))
    msg["Message-ID"] = make_msgid(domain=site.domain)
    msg["Auto-Submitted"] = "auto-generated"
    text = _environment().get_template("subscribe-confirm.txt.j2").render(site=site, link=link)
    msg.set_content(text, subtype="plain", charset="utf-8")
    return msg


def create_app(
    site: Site,
    store: Store,
    key: str,
    mail: Callable[[EmailMessage], str | None],
    *,
    clock: Callable[[], float] = time.monotonic,
):
    """The web app. `mail` sends a message (None, or why it was not sent)."""
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Route

    per_client = RateLimit(site.subscribe.per_client, clock=clock)
    per_address = RateLimit(site.subscribe.per_address, clock=clock)

    def html(name: str, status: int = 200, **values: object) -> Response:
        return HTMLResponse(page(site, name, **values), status_code=status, headers=HEADERS)

    def send_confirmation(subscriber: Subscriber) -> None:
        link = f"{site.subscribe.url}/confirm/{tokens.make(key, 'confirm', subscriber.ref)}"
        problem = mail(confirmation(site, subscriber.address, link))
        if problem:
            log.warning("confirmation mail not sent: %s", problem)

    async def subscribe_form(request: Request) -> Response:
        return html("form")

    async def subscribe(request: Request) -> Response:
        wants_json = request.headers.get("content-type", "").startswith("application/json")
        client = request.client.host if request.client else "unknown"
        if not per_client.allow(client):
            if wants_json:
                return JSONResponse({"status": "rate-limited"}, status_code=429, headers=HEADERS)
            return html("message", 429, heading="请求太频繁", text="请稍后再试。")
        fields = _fields(await _body(request), wants_json)
        if fields is None:
            return html("message", 413, heading="请求太大", text="表单内容太长。")
        if fields.get("website"):  # the honeypot: a person never sees the field, a bot fills it
            return _answer(wants_json, html)
        address = _valid_address(fields.get("email", ""))
        if address is None:
            if wants_json:
                return JSONResponse({"status": "invalid-address"}, status_code=400, headers=HEADERS)
            return html(
                "form",
                400,
                error="这不是有效的邮箱地址，请检查后再试。",
                email=fields.get("email", ""),
            )
        subscriber = await run_in_threadpool(store.request, address, "web")
        task = None
        if subscriber is not None and per_address.allow(address.lower()):
            task = BackgroundTask(
                send_confirmation, subscriber
            )  # after the answer: no timing tells
        response = _answer(wants_json, html)
        response.background = task
        return response

    async def resolve(token: str, purpose: str) -> Subscriber | Response:
        try:
            ref = tokens.read(key, purpose, token)
        except tokens.BadToken as exc:
            text = (
                "这个链接已经过期。" if exc.expired else "这个链接无效（可能不完整，或被改动过）。"
            )
            if purpose == "confirm":
                text += "请重新订阅。"
            return html("message", 400, heading="链接无效", text=text)
        found = await run_in_threadpool(store.by_ref, ref)
        if found is None:
            return html("message", 404, heading="找不到这个订阅", text="这个地址不在订阅名单里。")
        return found

    async def confirm(request: Request) -> Response:
        found = await resolve(request.path_params["token"], "confirm")
        if isinstance(found, Response):
            return found
        if await run_in_threadpool(
            store.change, found.address, "confirmed", "confirmed by link", only_from=("pending",)
        ):
            return html(
                "message", heading="订阅成功", text=f"以后{site.title}的周报会发到你的邮箱。"
            )
        return html(
            "message",
            400,
            heading="链接已失效",
            text="这个订阅已经退订或停止投递；如需再订阅，请重新提交。",
        )

    async def unsubscribe_page(request: Request) -> Response:
        found = await resolve(request.path_params["token"], "unsubscribe")
        if isinstance(found, Response):
            return found
        return html("unsubscribe")

    async def unsubscribe(request: Request) -> Response:
        found = await resolve(request.path_params["token"], "unsubscribe")
        if isinstance(found, Response):
            return found
        body = await _body(request)
        how = "one-click" if body and b"One-Click" in body else "unsubscribe page"
        await run_in_threadpool(
            store.change, found.address, "unsubscribed", how, only_from=("pending", "confirmed")
        )
        return html("message", heading="已退订", text=f"你不会再收到{site.title}的周报。")

    async def home(request: Request) -> Response:
        return RedirectResponse("/subscribe", headers=HEADERS)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/subscribe", subscribe_form, methods=["GET"]),
            Route("/subscribe", subscribe, methods=["POST"]),
            Route("/confirm/{token}", confirm, methods=["GET"]),
            Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET"]),
            Route("/unsubscribe/{token}", unsubscribe, methods=["POST"]),
        ]
    )


def _answer(wants_json: bool, html: Callable[..., object]):
    """The one answer to every sign-up that was taken (new, pending, confirmed or suppressed)."""
    from starlette.responses import JSONResponse

    if wants_json:
        return JSONResponse({"status": "check-inbox"}, headers=HEADERS)
    return html(
        "message",
        heading="请查收邮件",
        text=(
            "我们向这个地址发了一封确认邮件（如果它还没有订阅）。"
            "点击邮件里的链接即可完成订阅，链接 7 天内有效。"
        ),
    )


async def _body(request) -> bytes | None:
    """The request body, or None past MAX_BODY bytes (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _fields(body: bytes | None, as_json: bool) -> dict[str, str] | None:
    """Form fields (urlencoded) or a JSON object's strings; None for a body too large."""
    if body is None:
        return None
    try:
        if as_json:
            data = json.loads(body)
            return (
                {k: v for k, v in data.items() if isinstance(v, str)}
                if isinstance(data, dict)
                else {}
            )
        return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), max_num_fields=20).items()}
    except ValueError:  # not JSON, not UTF-8, too many fields
        return {}


def _valid_address(text: str) -> str | None:
    """The address, normalised by email-validator (syntax only, no DNS), or None."""
    from email_validator import EmailNotValidError, validate_email

    from .config import address_of

    try:
        address = validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None
    return address if address_of(address) == address else None


def run(
    site: Site,
    store: Store,
    key: str,
    mail: Callable[[EmailMessage], str | None],
    host: str,
    port: int,
) -> None:
    """Serve until interrupted. Access logs stay off: every path holds a token."""
    import uvicorn

    uvicorn.run(
        create_app(site, store, key, mail), host=host, port=port, access_log=False, log_level="info"
    )
