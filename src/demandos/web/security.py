"""Who is asking, and may they: sessions, API tokens, CSRF, roles and sign-in rate limits.

A browser signs in with a login and password and gets a session cookie (HttpOnly, SameSite=Lax,
Secure behind HTTPS). Every form carries the session's CSRF token; a browser calling the API
sends it as ``X-CSRF-Token``. Other tools call the API with ``Authorization: Bearer <token>``
(`demandos user token`), which needs no CSRF token: a browser never sends it on its own.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from demandos.web.users import Account, Role, Users

COOKIE = "demandos_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WebError(Exception):
    """An answer other than success, in the one shape the app gives errors."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.hint = status, code, message, hint
        self.headers = headers

    def body(self) -> dict[str, object]:
        return {
            "error": {
                "status": self.status,
                "code": self.code,
                "message": self.message,
                "hint": self.hint,
            }
        }


@dataclass(frozen=True)
class Caller:
    """The signed-in user of a request and how they came: a browser session or an API token."""

    account: Account
    csrf: str | None  # the session's CSRF token; None for an API token
    via: str  # "session" | "token"


def users(request: Request) -> Users:
    found: Users = request.app.state.users
    return found


def current(request: Request) -> Caller | None:
    """The caller, or None when the request is anonymous."""
    if hasattr(request.state, "caller"):
        cached: Caller | None = request.state.caller
        return cached
    caller = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        account = users(request).token_user(header[7:].strip())
        if account is None:
            raise WebError(
                401, "bad_token", "the API token is unknown or revoked",
                "issue one with `demandos user token LOGIN`",
            )  # fmt: skip
        caller = Caller(account, None, "token")
    elif token := request.cookies.get(COOKIE):
        found = users(request).session(token)
        if found is not None:
            caller = Caller(found[0], found[1], "session")
    request.state.caller = caller
    return caller


def _check_csrf(request: Request, caller: Caller, form_token: str | None) -> None:
    if request.method in SAFE_METHODS or caller.via == "token":
        return
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not caller.csrf or not hmac.compare_digest(sent, caller.csrf):
        raise WebError(
            403, "csrf", "the request has no valid CSRF token",
            "reload the page and try again; API clients use a bearer token",
        )  # fmt: skip


def require(role: Role):  # type: ignore[no-untyped-def]
    """A dependency: the caller, signed in with ``role`` or higher, CSRF checked on writes."""

    async def dependency(request: Request) -> Caller:
        caller = current(request)
        if caller is None:
            raise WebError(401, "sign_in", "sign in first", "POST /login, or use an API token")
        if not caller.account.can(role):
            raise WebError(
                403, "forbidden", f"this needs the {role} role; you are a {caller.account.role}",
                "an admin can change roles with `demandos user role`",
            )  # fmt: skip
        form_token = None
        if request.method not in SAFE_METHODS and caller.via == "session":
            kind = request.headers.get("content-type", "")
            if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                form_token = value if isinstance(value, str) else None
        _check_csrf(request, caller, form_token)
        return caller

    return dependency


Viewer = Annotated[Caller, Depends(require("viewer"))]
Editor = Annotated[Caller, Depends(require("editor"))]
Admin = Annotated[Caller, Depends(require("admin"))]


class SignInLimiter:
    """At most ``attempts`` failed sign-ins per ``window`` seconds, per address and per login."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def retry_after(self, *keys: str) -> int | None:
        """Seconds to wait when any key is over the limit, else None."""
        now = time.monotonic()
        with self._lock:
            waits = [
                int(recent[0] + self.window - now) + 1
                for key in keys
                if len(recent := self._recent(key, now)) >= self.attempts
            ]
        return max(waits) if waits else None

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
