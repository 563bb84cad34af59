"""Who may use the web app: users with a role, their sessions and API tokens.

Roles, from least to most: **viewer** reads everything and changes nothing; **editor** records
reviews, decisions and actions, ingests files and decides kernel proposals; **admin** also manages
users. Passwords are hashed with Argon2id (argon2-cffi); session and API tokens are random
(``secrets``) and only their SHA-256 is stored, so a copy of the operating log signs no one in.
Everything is kept in the operating log (migration 0006).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from demandos.errors import DemandosError
from demandos.store.oplog import ApiToken, OperatingLog, User, WebSession

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
MIN_PASSWORD = 10
SESSION_DAYS = 14
SESSION_MEMORY = 5.0  # seconds a session read from the log is trusted from memory
_hasher = PasswordHasher()
# Verified against when a login does not exist, so a wrong login costs what a wrong password does.
_DUMMY = _hasher.hash("demandos: no such user")


class UserError(DemandosError):
    """A user, password, role or token that cannot be used."""


@dataclass(frozen=True)
class Account:
    """A signed-in user, as handlers see it."""

    id: int
    login: str
    role: Role
    person_id: str | None

    def can(self, role: Role) -> bool:
        """Whether this user holds ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _account(row: User) -> Account:
    return Account(row.id, row.login, _role(row.role), row.person_id)


def _role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")
    return role


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"the password has {len(password)} characters; it needs at least {MIN_PASSWORD}",
            hint="use a longer passphrase",
        )


def _check_login(login: str) -> str:
    login = login.strip()
    if not login or len(login) > 100 or any(c.isspace() for c in login):
        raise UserError(
            f"{login!r} cannot be a login", hint="use a name or email without spaces, 1-100 long"
        )
    return login


class Users:
    """Users, sessions and tokens in one operating log."""

    def __init__(self, log: OperatingLog, *, now: datetime | None = None) -> None:
        self.log = log
        self._now = now
        # live sessions read recently, by token hash: (account, csrf, expires, read at)
        self._sessions: dict[str, tuple[Account, str, datetime, float]] = {}
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now or datetime.now().replace(microsecond=0)

    # -- users -----------------------------------------------------------------------------

    def add(
        self, login: str, password: str, role: str = "viewer", *, person_id: str | None = None
    ) -> Account:
        login, role = _check_login(login), _role(role)
        _check_password(password)
        with self.log.session() as s:
            if s.scalar(select(User).where(User.login == login)) is not None:
                raise UserError(
                    f"a user {login!r} exists already",
                    hint="`demandos user passwd` or `demandos user role` changes it",
                )
            row = User(
                login=login,
                password_hash=_hasher.hash(password),
                role=role,
                person_id=person_id,
                created_at=self.now(),
            )
            s.add(row)
            s.flush()
            return _account(row)

    def list(self) -> list[Account]:
        with self.log.session() as s:
            return [_account(r) for r in s.scalars(select(User).order_by(User.login))]

    def get(self, login: str) -> Account:
        with self.log.session() as s:
            return _account(self._row(s, login))

    def set_password(self, login: str, password: str) -> None:
        """A new password; every session of the user ends."""
        _check_password(password)
        self._forget()
        with self.log.session() as s:
            row = self._row(s, login)
            row.password_hash = _hasher.hash(password)
            for session in s.scalars(select(WebSession).where(WebSession.user_id == row.id)):
                s.delete(session)

    def set_role(self, login: str, role: str) -> Account:
        self._forget()
        with self.log.session() as s:
            row = self._row(s, login)
            row.role = _role(role)
            return _account(row)

    def _row(self, s: Session, login: str) -> User:
        row = s.scalar(select(User).where(User.login == login.strip()))
        if row is None:
            known = ", ".join(s.scalars(select(User.login).order_by(User.login))) or "none yet"
            raise UserError(f"no user {login!r}", hint=f"users: {known}")
        return row

    def authenticate(self, login: str, password: str) -> Account | None:
        """The user when the password is right, else None — the same answer, and about the same
        time, for an unknown login as for a wrong password."""
        with self.log.session() as s:
            row = s.scalar(select(User).where(User.login == login.strip()))
            stored = row.password_hash if row is not None and row.disabled_at is None else _DUMMY
            try:
                _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None or row.disabled_at is not None:
                return None
            if _hasher.check_needs_rehash(stored):
                row.password_hash = _hasher.hash(password)
            return _account(row)

    # -- sessions --------------------------------------------------------------------------

    def start_session(self, account: Account) -> tuple[str, str]:
        """A new session for ``account``: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.now()
        with self.log.session() as s:
            s.add(
                WebSession(
                    token_hash=_digest(token),
                    user_id=account.id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + timedelta(days=SESSION_DAYS),
                )
            )
        return token, csrf

    def session(self, token: str) -> tuple[Account, str] | None:
        """The user and CSRF token of a live session, else None. A session read in the last
        ``SESSION_MEMORY`` seconds is answered from memory; signing out, a new password or
        role here forget it at once (another process's change shows within those seconds)."""
        digest = _digest(token)
        with self._lock:
            known = self._sessions.get(digest)
        if known is not None:
            account, csrf, expires, read = known
            if time.monotonic() - read < SESSION_MEMORY and expires > self.now():
                return account, csrf
        found_session = self._read_session(digest)
        with self._lock:
            if found_session is None:
                self._sessions.pop(digest, None)
            else:
                self._sessions[digest] = (*found_session, time.monotonic())
        return None if found_session is None else (found_session[0], found_session[1])

    def _forget(self) -> None:
        with self._lock:
            self._sessions.clear()

    def _read_session(self, digest: str) -> tuple[Account, str, datetime] | None:
        with self.log.session() as s:
            found = s.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == digest)
            ).first()
            if found is None:
                return None
            session, user = found
            if session.expires_at <= self.now() or user.disabled_at is not None:
                s.delete(session)
                return None
            return _account(user), session.csrf, session.expires_at

    def end_session(self, token: str) -> None:
        self._forget()
        with self.log.session() as s:
            row = s.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
            if row is not None:
                s.delete(row)

    # -- API tokens ------------------------------------------------------------------------

    def issue_token(self, login: str, name: str) -> str:
        """A new API token for ``login``; shown once, only its hash is kept."""
        token = "dos_" + secrets.token_urlsafe(32)
        with self.log.session() as s:
            row = self._row(s, login)
            s.add(
                ApiToken(
                    token_hash=_digest(token), user_id=row.id, name=name, created_at=self.now()
                )
            )
        return token

    def token_user(self, token: str) -> Account | None:
        with self.log.session() as s:
            found = s.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == _digest(token))
            ).first()
            if found is None:
                return None
            row, user = found
            if row.revoked_at is not None or user.disabled_at is not None:
                return None
            row.last_used_at = self.now()
            return _account(user)

    def revoke_tokens(self, login: str) -> int:
        with self.log.session() as s:
            row = self._row(s, login)
            tokens = s.scalars(
                select(ApiToken).where(ApiToken.user_id == row.id, ApiToken.revoked_at.is_(None))
            ).all()
            for token in tokens:
                token.revoked_at = self.now()
            return len(tokens)
