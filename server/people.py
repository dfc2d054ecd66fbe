"""Administering people: accounts, their passwords and API tokens, as an admin does it.

The admin pages (server/admin.py) and the JSON API here (/api/users) take the same
actions through the functions below, over what `server.users` stores (where a
disabled account, a new password or a revoked token stops working at once). An
admin cannot disable their own account, so a county is never left without one
by a slip.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath

from server import users
from server.auth import Principal
from server.authz import require
from server.db import Database
from server.errors import AppError, documented_errors, not_found, zh_en
from server.http import documented_body, json_body
from server.users import ApiToken, User


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    name: str
    role: str
    password: str | None = None  # none: the account cannot log in until one is set
    place_code: str | None = None  # an official's place: they read everything under it
    unit: str | None = None
    phone: str | None = None


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    active: bool


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    password: str


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class TokenCreated(msgspec.Struct):
    """A new token: `token` is shown this once and never again."""

    id: int
    name: str
    created_at: str
    token: str


async def user_or_404(db: Database, user_id: int) -> User:
    found = await users.get_user(db, user_id=user_id)
    if found is None:
        raise not_found(f"用户 {user_id}", f"user {user_id}")
    return found


async def create_person(db: Database, principal: Principal, body: UserCreate) -> User:
    name = body.name.strip()
    if not 1 <= len(name) <= 40:
        raise AppError(
            422,
            "invalid_user",
            zh_en("姓名为 1-40 个字", "name: 1-40 characters"),
            [{"path": "/name", "code": "invalid", "message": "1-40 characters"}],
        )
    return await users.add_user(
        db,
        principal.actor,
        username=body.username.strip(),
        name=name,
        role=body.role,
        password=body.password,
        place_code=(body.place_code or None) if body.role == "official" else None,
        unit=(body.unit or "").strip() or None,
        phone=(body.phone or "").strip() or None,
    )


async def set_person_active(db: Database, principal: Principal, user_id: int, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions and its tokens stop working."""
    found = await user_or_404(db, user_id)
    if not active and found.id == principal.user_id:
        raise AppError(
            409,
            "own_account",
            zh_en("不能停用自己的账号", "you cannot disable your own account"),
        )
    if found.active != active:
        await users.set_active(db, principal.actor, user_id, active)
    return await user_or_404(db, user_id)


async def reset_password(db: Database, principal: Principal, user_id: int, password: str) -> None:
    """Set someone's password (they forgot it); every session of theirs ends."""
    await user_or_404(db, user_id)
    await users.set_password(db, principal.actor, user_id, password)


async def issue_token(db: Database, principal: Principal, user_id: int, name: str) -> TokenCreated:
    name = name.strip()
    if not 1 <= len(name) <= 60:
        raise AppError(
            422,
            "invalid_token_name",
            zh_en("令牌名称为 1-60 个字符", "a token's name has 1-60 characters"),
            [{"path": "/name", "code": "invalid", "message": "1-60 characters"}],
        )
    await user_or_404(db, user_id)
    record, token = await users.create_token(db, principal.actor, user_id, name)
    return TokenCreated(record.id, record.name, record.created_at, token)


async def revoke_token(db: Database, principal: Principal, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of someone's tokens by its id; it stops working at once."""
    found = next((t for t in await users.list_tokens(db, user_id) if t.id == token_id), None)
    if found is None:
        raise not_found(f"令牌 {token_id}", f"token {token_id}")
    await users.revoke_token(db, principal.actor, user_id, found.name)
    return next(t for t in await users.list_tokens(db, user_id) if t.id == token_id)


# ---------------------------------------------------------------- JSON


def _text(description: str, **extra: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, **extra)


_CreateOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["username", "name", "role"],
        properties={
            "username": _text("2-40 letters, digits, _ . -", pattern="^[A-Za-z0-9_.-]{2,40}$"),
            "name": _text("the person's name", max_length=40),
            "role": _text("what they may do", enum=list(users.ROLES)),
            "password": _text(
                f"at least {users.PASSWORD_MIN} characters; without one the account cannot"
                " log in until a password is set",
                min_length=users.PASSWORD_MIN,
            ),
            "place_code": _text(
                "an official's place (12 digits): they read everything under it",
                pattern="^[0-9]{12}$",
            ),
            "unit": _text("their work unit (单位)"),
            "phone": _text("their phone number"),
        },
    )
)
_UpdateOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["active"],
        properties={
            "active": Schema(
                type=OpenAPIType.BOOLEAN,
                description="false disables the account: its sessions end, its tokens stop",
            )
        },
    )
)
_PasswordOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["password"],
        properties={"password": _text("the new password", min_length=users.PASSWORD_MIN)},
    )
)
_TokenOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["name"],
        properties={"name": _text("what the token is for, unique per person", max_length=60)},
    )
)
_ERRORS = {401: "not logged in", 403: "not an administrator", 404: "no such user or token"}
_WRITE_ERRORS = documented_errors(
    {
        **_ERRORS,
        400: "malformed JSON or a body of the wrong shape",
        409: "the username or token name is taken, or disabling your own account",
        415: "body is not application/json",
        422: "a bad value: `errors` names the field",
    }
)


class UserController(Controller):
    path = "/api/users"
    tags = ("people",)

    @get("/", responses=documented_errors(_ERRORS))
    async def everyone(
        self, db: NamedDependency[Database], principal: NamedDependency[Principal]
    ) -> list[User]:
        """Every account, by role then username (administrators)."""
        await require(db, principal, "user.manage")
        return await users.list_users(db)

    @post("/", status_code=201, operation_class=_CreateOperation, responses=_WRITE_ERRORS)
    async def create(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> User:
        """Add an account: `{"username", "name", "role", "password"?, "place_code"?, ...}`."""
        await require(db, principal, "user.manage")
        return await create_person(db, principal, await json_body(request, UserCreate))

    @get("/{user_id:int}", responses=documented_errors(_ERRORS))
    async def read(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> User:
        """One account."""
        await require(db, principal, "user.manage")
        return await user_or_404(db, user_id)

    @patch("/{user_id:int}", operation_class=_UpdateOperation, responses=_WRITE_ERRORS)
    async def update(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        user_id: FromPath[int],
    ) -> User:
        """Enable or disable an account: `{"active": false}`."""
        await require(db, principal, "user.manage")
        body = await json_body(request, UserUpdate)
        return await set_person_active(db, principal, user_id, body.active)

    @put(
        "/{user_id:int}/password",
        status_code=204,
        operation_class=_PasswordOperation,
        responses=_WRITE_ERRORS,
    )
    async def password(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        user_id: FromPath[int],
    ) -> None:
        """Set someone's password: `{"password"}`; every session of theirs ends."""
        await require(db, principal, "user.manage")
        body = await json_body(request, PasswordReset)
        await reset_password(db, principal, user_id, body.password)

    @get("/{user_id:int}/tokens", responses=documented_errors(_ERRORS))
    async def tokens(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> list[ApiToken]:
        """Someone's API tokens, revoked ones included (never the tokens themselves)."""
        await require(db, principal, "user.manage")
        await user_or_404(db, user_id)
        return await users.list_tokens(db, user_id)

    @post(
        "/{user_id:int}/tokens",
        status_code=201,
        operation_class=_TokenOperation,
        responses=_WRITE_ERRORS,
    )
    async def create_token(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        user_id: FromPath[int],
    ) -> Response[TokenCreated]:
        """A new API token for someone's scripts: `{"name"}`; the token is shown only now."""
        await require(db, principal, "user.manage")
        body = await json_body(request, TokenCreate)
        created = await issue_token(db, principal, user_id, body.name)
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @delete(
        "/{user_id:int}/tokens/{token_id:int}",
        status_code=200,
        responses=documented_errors(_ERRORS),
    )
    async def revoke(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        token_id: FromPath[int],
    ) -> ApiToken:
        """Revoke a token; it stops working at once and stays listed as revoked."""
        await require(db, principal, "user.manage")
        return await revoke_token(db, principal, user_id, token_id)
