"""``fakturaport user create TENANT USERNAME [--role viewer|operator]``: a finance dashboard user.

The password is read from the terminal (or ``--password-stdin`` for scripts); it is stored as an
argon2 hash only.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from sqlalchemy.exc import IntegrityError

from ..ledger import Ledger
from ..settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="manage dashboard users")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a finance user for a tenant")
    create.add_argument("tenant", help="tenant name")
    create.add_argument("username")
    create.add_argument("--role", choices=("viewer", "operator"), default="operator")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.add_argument("--config")
    create.set_defaults(func=run)


async def _create(args: argparse.Namespace, password: str) -> int:
    settings = load_settings(args.config)
    ledger = await Ledger.open(settings.db_url)
    try:
        tenant = await ledger.tenant_by_name(args.tenant)
        if tenant is None:
            print(f"fakturaport user create: no tenant named {args.tenant!r}", file=sys.stderr)
            return 1
        await ledger.create_user(tenant.id, args.username, password, args.role)
    except ValueError as exc:
        print(f"fakturaport user create: {exc}", file=sys.stderr)
        return 2
    except IntegrityError:
        print(f"fakturaport user create: the username {args.username!r} is taken", file=sys.stderr)
        return 1
    finally:
        await ledger.aclose()
    print(f"user {args.username} ({args.role}) created for {args.tenant}")
    return 0


def run(args: argparse.Namespace) -> int:
    password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    )
    return asyncio.run(_create(args, password))
