"""`minsheng user ...`: accounts, passwords, API tokens and pairings from the command line.

An administrator sets up a county before anyone can log in: the first admin
account, officials and cadres, and who is paired with whom. Passwords are read
from the terminal (or stdin with --password-stdin), never from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from server.settings import Settings

T = TypeVar("T")
ACTOR = "cli"


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    async def main() -> T:
        from server.db import Database

        db = await Database.open(settings.db_path)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(main())


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("minsheng: the passwords differ; nothing changed")
    return first


def _fail(exc: Exception) -> int:
    from server.errors import AppError

    if isinstance(exc, AppError):
        print(f"minsheng: {exc.detail_in('zh')} / {exc.detail_in('en')}", file=sys.stderr)
        return 1
    raise exc


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.users import add_user

    password = _password(args)
    try:
        user = _run(
            settings,
            lambda db: add_user(
                db,
                ACTOR,
                username=args.username,
                name=args.name,
                role=args.role,
                password=password,
                place_code=args.place,
                unit=args.unit,
                phone=args.phone,
            ),
        )
    except Exception as exc:
        return _fail(exc)
    print(f"{settings.db_path}: {user.role} {user.username} ({user.name}) added, id {user.id}")
    return 0


def cmd_user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from server.users import get_user, set_password

    password = _password(args)

    async def work(db: Any) -> str:
        user = await get_user(db, username=args.username)
        if user is None:
            raise SystemExit(f"minsheng: no user {args.username}")
        await set_password(db, ACTOR, user.id, password)
        return user.username

    try:
        print(f"{settings.db_path}: password of {_run(settings, work)} set; its sessions ended")
    except Exception as exc:
        return _fail(exc)
    return 0


def cmd_user_token(args: argparse.Namespace, settings: Settings) -> int:
    from server.users import create_token, get_user, revoke_token

    async def work(db: Any) -> str:
        user = await get_user(db, username=args.username)
        if user is None:
            raise SystemExit(f"minsheng: no user {args.username}")
        if args.revoke:
            done = await revoke_token(db, ACTOR, user.id, args.name)
            return f"token {args.name} of {user.username} " + ("revoked" if done else "not found")
        _, token = await create_token(db, ACTOR, user.id, args.name)
        return f"token {args.name} of {user.username} (shown once; keep it secret):\n{token}"

    try:
        print(_run(settings, work))
    except Exception as exc:
        return _fail(exc)
    return 0


def cmd_user_pair(args: argparse.Namespace, settings: Settings) -> int:
    from server.pairings import pair
    from server.users import get_user

    async def work(db: Any) -> str:
        user = await get_user(db, username=args.username)
        if user is None:
            raise SystemExit(f"minsheng: no user {args.username}")
        done = []
        for household in args.household or []:
            _, new = await pair(db, ACTOR, user.id, household_id=household)
            done.append(f"household {household}{'' if new else ' (already)'}")
        for village in args.village or []:
            _, new = await pair(db, ACTOR, user.id, village_code=village)
            done.append(f"village {village}{'' if new else ' (already)'}")
        return f"{user.username} paired with " + ", ".join(done)

    try:
        print(_run(settings, work))
    except Exception as exc:
        return _fail(exc)
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.users import list_users

    for user in _run(settings, list_users):
        state = "" if user.active else " (disabled)"
        place = user.place_code or ""
        print(f"{user.id:5} {user.role:9} {user.username:20} {user.name} {place}{state}")
    return 0


def add_parsers(
    sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng user add|passwd|token|pair|list`."""
    user = sub.add_parser("user", help="accounts, passwords, API tokens and pairings")
    users = user.add_subparsers(dest="user_command", required=True)

    add = with_db(users.add_parser("add", help="add an account (asks for its password)"))
    add.add_argument("username")
    add.add_argument("--name", required=True, help="the person's name, as shown on reports")
    add.add_argument("--role", required=True, choices=("admin", "designer", "official", "cadre"))
    add.add_argument("--place", help="an official's place: its 12-digit code (their whole area)")
    add.add_argument("--unit", help="the person's unit (帮扶单位)")
    add.add_argument("--phone")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(people=cmd_user_add)

    passwd = with_db(users.add_parser("passwd", help="set an account's password"))
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(people=cmd_user_passwd)

    token = with_db(users.add_parser("token", help="make (or --revoke) a named API token"))
    token.add_argument("username")
    token.add_argument("name", help="what the token is for, e.g. county-sync")
    token.add_argument("--revoke", action="store_true")
    token.set_defaults(people=cmd_user_token)

    pairing = with_db(users.add_parser("pair", help="pair a cadre with households or villages"))
    pairing.add_argument("username")
    pairing.add_argument("--household", action="append", metavar="ID", help="a roster household id")
    pairing.add_argument(
        "--village", action="append", metavar="CODE", help="a 12-digit village code"
    )
    pairing.set_defaults(people=cmd_user_pair)

    listing = with_db(users.add_parser("list", help="list the accounts"))
    listing.set_defaults(people=cmd_user_list)
