"""Users: citizen registration, ASN accounts, password sign-in with rate limit and lockout."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from auth.audit import Actor, record
from auth.config import AuthConfig
from auth.crypto import hash_password, verify_password
from auth.models import ROLES, LoginAttempt, User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


class UserError(ValueError):
    """Bad input for a user account; the message is safe to show."""


class LoginRefused(Exception):
    """Sign-in refused; `reason` is one of bad_credentials, locked, rate_limited, disabled."""

    def __init__(self, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise UserError("alamat e-mail tidak valid / invalid e-mail address")
    return email


def normalise_phone(phone: str) -> str:
    """Indonesian numbers to E.164: 0812... and 62812... both become +62812..."""
    digits = re.sub(r"[\s\-().]", "", phone.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    if not digits.isdigit() or not 9 <= len(digits) <= 15:
        raise UserError("nomor telepon tidak valid / invalid phone number")
    return "+" + digits


def normalise_identifier(identifier: str) -> str:
    identifier = identifier.strip()
    if "@" in identifier:
        return identifier.lower()
    try:
        return normalise_phone(identifier)
    except UserError:
        return identifier.lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"kata sandi minimal {MIN_PASSWORD} karakter / "
            f"password must be at least {MIN_PASSWORD} characters"
        )


def find_by_identifier(session: Session, identifier: str) -> User | None:
    ident = normalise_identifier(identifier)
    return session.scalars(
        select(User).where(or_(User.email == ident, User.phone == ident))
    ).first()


def _ensure_unique(session: Session, email: str | None, phone: str | None) -> None:
    if email and session.scalars(select(User).where(User.email == email)).first():
        raise UserError("e-mail sudah terdaftar / e-mail already registered")
    if phone and session.scalars(select(User).where(User.phone == phone)).first():
        raise UserError("nomor telepon sudah terdaftar / phone number already registered")


def register_citizen(
    session: Session,
    *,
    name: str,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    ip: str | None = None,
    now: datetime,
) -> User:
    name = name.strip()
    if not name or len(name) > 200:
        raise UserError("nama wajib diisi / name is required")
    norm_email = normalise_email(email) if email else None
    norm_phone = normalise_phone(phone) if phone else None
    if not norm_email and not norm_phone:
        raise UserError("isi e-mail atau nomor telepon / give an e-mail or a phone number")
    check_password_strength(password)
    _ensure_unique(session, norm_email, norm_phone)
    user = User(
        id=uuid.uuid4(),
        kind="citizen",
        name=name,
        email=norm_email,
        phone=norm_phone,
        password_hash=hash_password(password),
        roles=[],
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    record(session, Actor(f"user:{user.id}", ip), "user.registered", str(user.id), now)
    return user


def create_asn(
    session: Session,
    *,
    name: str,
    email: str,
    password: str,
    opd: str | None,
    roles: list[str],
    actor: Actor,
    now: datetime,
    phone: str | None = None,
    must_change_password: bool = False,
) -> User:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise UserError(f"unknown roles {sorted(unknown)}; known: {list(ROLES)}")
    if not opd and set(roles) & {"opd_staff", "opd_admin"}:
        raise UserError("opd_staff and opd_admin need an OPD code")
    norm_email = normalise_email(email)
    norm_phone = normalise_phone(phone) if phone else None
    check_password_strength(password)
    _ensure_unique(session, norm_email, norm_phone)
    user = User(
        id=uuid.uuid4(),
        kind="asn",
        name=name.strip(),
        email=norm_email,
        phone=norm_phone,
        email_verified=True,
        password_hash=hash_password(password),
        opd=opd,
        roles=list(dict.fromkeys(roles)),
        must_change_password=must_change_password,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.created", str(user.id), now, opd=opd, roles=user.roles)
    return user


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout: timedelta
    ip_limit: int
    ip_window: timedelta

    @classmethod
    def from_config(cls, config: AuthConfig) -> LoginPolicy:
        return cls(
            config.login_max_failures,
            timedelta(seconds=config.lockout_seconds),
            config.ip_rate_limit,
            timedelta(seconds=config.ip_rate_window),
        )


def _recent_failures(session: Session, ident: str, since: datetime) -> list[datetime]:
    """Failures for this identifier after its last success within the window."""
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.identifier == ident, LoginAttempt.succeeded.is_(True)
        )
    )
    start = max(since, last_ok) if last_ok else since
    return list(
        session.scalars(
            select(LoginAttempt.at)
            .where(
                LoginAttempt.identifier == ident,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > start,
            )
            .order_by(LoginAttempt.at)
        )
    )


def authenticate(
    session: Session,
    identifier: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    policy: LoginPolicy,
) -> User:
    """Check a password; raises LoginRefused. Every attempt is recorded and audited."""
    ident = normalise_identifier(identifier)[:254]
    per_ip = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.ip == ip, LoginAttempt.at > now - policy.ip_window)
    )
    if (per_ip or 0) >= policy.ip_limit:
        record(session, Actor(f"login:{ident}", ip), "login.rate_limited", ident, now)
        raise LoginRefused("rate_limited", int(policy.ip_window.total_seconds()))
    failures = _recent_failures(session, ident, now - policy.lockout)
    if len(failures) >= policy.max_failures:
        retry = int((failures[-policy.max_failures] + policy.lockout - now).total_seconds()) + 1
        session.add(LoginAttempt(identifier=ident, ip=ip, succeeded=False, at=now))
        record(session, Actor(f"login:{ident}", ip), "login.locked", ident, now)
        raise LoginRefused("locked", max(retry, 1))
    user = find_by_identifier(session, ident)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.disabled:
        session.add(LoginAttempt(identifier=ident, ip=ip, succeeded=False, at=now))
        record(session, Actor(f"user:{user.id}", ip), "login.disabled", str(user.id), now)
        raise LoginRefused("disabled")
    session.add(LoginAttempt(identifier=ident, ip=ip, succeeded=ok, at=now))
    if not ok or user is None:
        record(session, Actor(f"login:{ident}", ip), "login.failed", ident, now)
        raise LoginRefused("bad_credentials")
    record(session, Actor(f"user:{user.id}", ip), "login.succeeded", str(user.id), now)
    return user
