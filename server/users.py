"""People who log in: accounts, passwords, roles, and API tokens for scripts.

Passwords are argon2id hashes (argon2-cffi); a hash takes about a tenth of a
second and 64 MB on purpose, so it is done off the event loop and only when a
password is set or checked at login, never per request: a request carries a
session or token whose SHA-256 is looked up instead. Tokens are random, shown
once, stored hashed, named, and revocable.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import aiosqlite
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server import audit
from server.db import Database, now_iso, query
from server.errors import AppError, zh_en

ROLES = ("admin", "designer", "official", "cadre")
ROLE_NAMES = {
    "admin": ("管理员", "administrator"),
    "designer": ("表单设计员", "form designer"),
    "official": ("干部（主管）", "official"),
    "cadre": ("帮扶干部", "cadre"),
    "household": ("农户", "household"),
}
PASSWORD_MIN = 8
_USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,40}")
# Tests swap in cheaper parameters; a hash carries its own, so verification follows.
HASHER = PasswordHasher()
NO_PASSWORD = "!"  # matches no password: the account cannot log in until one is set


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    role: str
    place_code: str | None
    unit: str | None
    phone: str | None
    active: bool
    password_changed_at: str


def _user(row: Any) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        role=row["role"],
        place_code=row["place_code"],
        unit=row["unit"],
        phone=row["phone"],
        active=bool(row["active"]),
        password_changed_at=row["password_changed_at"],
    )


def token_hash(token: str) -> str:
    """How a session, API or link token is stored and looked up: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def password_matches(stored: str, given: str) -> bool:
    def verify() -> bool:
        try:
            return bool(HASHER.verify(stored, given))
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AppError(
            422,
            "weak_password",
            zh_en(
                f"密码至少 {PASSWORD_MIN} 个字符",
                f"a password needs at least {PASSWORD_MIN} characters",
            ),
            [{"path": "/password", "code": "minLength", "message": f"min {PASSWORD_MIN}"}],
        )


def _bad(field: str, zh: str, en: str) -> AppError:
    return AppError(
        422,
        "invalid_user",
        zh_en(zh, en),
        [{"path": f"/{field}", "code": "invalid", "message": en}],
    )


async def add_user(
    db: Database,
    actor: audit.Actor | str,
    *,
    username: str,
    name: str,
    role: str,
    password: str | None,
    place_code: str | None = None,
    unit: str | None = None,
    phone: str | None = None,
) -> User:
    """Create an account; 409 if the username is taken, 422 for a bad value.

    Without a password the account cannot log in until one is set (`minsheng user passwd`).
    """
    if not _USERNAME.fullmatch(username):
        raise _bad(
            "username",
            "用户名为 2-40 个字母、数字或 _ . -",
            "username: 2-40 letters, digits, _ . -",
        )
    if role not in ROLES:
        raise _bad(
            "role", f"角色应为 {'、'.join(ROLES)}", f"role must be one of {', '.join(ROLES)}"
        )
    if role == "official" and not place_code:
        raise _bad(
            "place_code", "主管干部须指定所辖地区", "an official needs the place they oversee"
        )
    hashed = NO_PASSWORD
    if password is not None:
        check_password(password)
        hashed = await hash_password(password)

    async def work(conn: aiosqlite.Connection) -> User:
        if place_code and not await query(
            conn, "SELECT 1 FROM places WHERE code = ?", (place_code,)
        ):
            raise _bad("place_code", f"没有地区 {place_code}", f"no place {place_code}")
        if await query(conn, "SELECT 1 FROM users WHERE username = ?", (username,)):
            raise AppError(
                409,
                "username_taken",
                zh_en(f"用户名 {username} 已被使用", f"username {username} is taken"),
            )
        at = now_iso()
        rows = await query(
            conn,
            "INSERT INTO users (username, name, role, place_code, unit, phone, password_hash,"
            " created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (username, name, role, place_code, unit, phone, hashed, at, at),
        )
        user = _user(rows[0])
        await audit.record(
            conn,
            actor,
            "user.create",
            f"user:{user.id}",
            username=username,
            role=role,
            place_code=place_code,
        )
        return user

    return await db.write(work)


async def get_user(
    db: Database, *, user_id: int | None = None, username: str | None = None
) -> User | None:
    if user_id is not None:
        row = await db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
    else:
        row = await db.fetch_one("SELECT * FROM users WHERE username = ?", (username,))
    return None if row is None else _user(row)


async def list_users(db: Database) -> list[User]:
    return [_user(r) for r in await db.fetch_all("SELECT * FROM users ORDER BY role, username")]


async def password_hash_of(db: Database, username: str) -> tuple[User, str] | None:
    row = await db.fetch_one("SELECT * FROM users WHERE username = ?", (username,))
    return None if row is None else (_user(row), row["password_hash"])


async def set_password(db: Database, actor: audit.Actor | str, user_id: int, password: str) -> None:
    """Set a new password; every session of the account ends with it."""
    check_password(password)
    hashed = await hash_password(password)

    async def work(conn: aiosqlite.Connection) -> None:
        at = now_iso()
        await conn.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (hashed, at, user_id),
        )
        await conn.execute(
            "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL", (at, user_id)
        )
        await audit.record(conn, actor, "user.password.change", f"user:{user_id}")

    await db.write(work)
    _forget(user_id)


def _forget(user_id: int) -> None:
    """This process stops trusting what it remembered of the user's sessions and tokens."""
    from server.auth import forget  # server.auth builds on this module

    forget(user_id=user_id)


async def set_active(db: Database, actor: audit.Actor | str, user_id: int, active: bool) -> None:
    async def work(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))
        if not active:
            await conn.execute(
                "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                (now_iso(), user_id),
            )
        await audit.record(
            conn, actor, "user.enable" if active else "user.disable", f"user:{user_id}"
        )

    await db.write(work)
    _forget(user_id)


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


async def create_token(
    db: Database, actor: audit.Actor | str, user_id: int, name: str
) -> tuple[ApiToken, str]:
    """A new token for `user_id`; (its record, the token itself, shown only now)."""
    token = new_token("mst")

    async def work(conn: aiosqlite.Connection) -> ApiToken:
        if await query(
            conn, "SELECT 1 FROM api_tokens WHERE user_id = ? AND name = ?", (user_id, name)
        ):
            raise AppError(
                409,
                "token_name_taken",
                zh_en(f"已有名为 {name} 的令牌", f"a token named {name} exists"),
            )
        rows = await query(
            conn,
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)"
            " RETURNING id, name, created_at, last_used_at, revoked_at",
            (user_id, name, token_hash(token), now_iso()),
        )
        await audit.record(conn, actor, "token.create", f"user:{user_id}", name=name)
        return ApiToken(**dict(rows[0]))

    return await db.write(work), token


async def revoke_token(db: Database, actor: audit.Actor | str, user_id: int, name: str) -> bool:
    async def work(conn: aiosqlite.Connection) -> bool:
        cursor = await conn.execute(
            "UPDATE api_tokens SET revoked_at = ?"
            " WHERE user_id = ? AND name = ? AND revoked_at IS NULL",
            (now_iso(), user_id, name),
        )
        if cursor.rowcount:
            await audit.record(conn, actor, "token.revoke", f"user:{user_id}", name=name)
        return bool(cursor.rowcount)

    revoked = await db.write(work)
    _forget(user_id)
    return revoked


async def list_tokens(db: Database, user_id: int) -> list[ApiToken]:
    rows = await db.fetch_all(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ?"
        " ORDER BY name",
        (user_id,),
    )
    return [ApiToken(**dict(r)) for r in rows]
