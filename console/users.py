"""Console accounts from the command line (the first admin is created here).

    python -m console.users create --username kim --role admin [--name "Kim Lee"]
    python -m console.users list | disable NAME | enable NAME | password NAME | role NAME ROLE
    python -m console.users has-admin   # exit status 0 if an enabled admin exists (make run)

Passwords are asked for twice without echo, or read from standard input with
``--password-stdin`` (scripts). They never appear in arguments, logs or the database.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional, Sequence

from actions.db import session_scope
from console import accounts, admin
from console.models import StaffUser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise accounts.AccountError("The two passwords differ.")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console.users", description=__doc__.split(
        "\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="add an account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", choices=StaffUser.ROLES, default="reviewer")
    create.add_argument("--name", default="", help="display name")
    create.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list", help="list accounts")
    commands.add_parser("has-admin", help="exit status 0 if an enabled admin account exists")
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} an account").add_argument("username")
    password = commands.add_parser("password", help="set a new password (ends sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    role = commands.add_parser("role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=StaffUser.ROLES)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            with session_scope() as session:
                for user in accounts.list_users(session):
                    state = "active" if user.active else "disabled"
                    print(f"{user.username:<20} {user.role:<9} {state:<9} {user.display_name}")
            return 0
        if args.command == "has-admin":
            with session_scope() as session:
                return 0 if admin.has_admin(session) else 1
        if args.command == "create":
            password = _read_password(args.password_stdin)
            with session_scope() as session:
                accounts.create_user(session, args.username, password, args.role, args.name)
            print(f"Created {accounts.normalise_username(args.username)} ({args.role}).")
        elif args.command == "password":
            password = _read_password(args.password_stdin)
            with session_scope() as session:
                accounts.set_password(session, args.username, password, "cli")
            print("Password changed; the account's sessions were ended.")
        elif args.command in ("disable", "enable"):
            with session_scope() as session:
                accounts.set_active(session, args.username, args.command == "enable", "cli")
            print(f"{args.command.capitalize()}d {args.username}.")
        elif args.command == "role":
            with session_scope() as session:
                accounts.set_role(session, args.username, args.role, "cli")
            print(f"{args.username} is now {args.role}.")
    except accounts.AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
