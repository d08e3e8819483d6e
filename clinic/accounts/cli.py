"""``python -m clinic users``: console accounts from the command line (the first admin too).

    python -m clinic users create --username kim --role admin [--name "Kim Lee"]
    python -m clinic users list | disable NAME | enable NAME | password NAME | role NAME ROLE
    python -m clinic users has-admin   # exit status 0 if an enabled admin exists (make run)

Passwords are asked for twice without echo, or read from standard input with
``--password-stdin`` (scripts). They never appear in arguments, logs or the database.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from clinic import accounts
from clinic.accounts import admin
from clinic.db import session_scope
from clinic.models import StaffUser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise accounts.AccountError("The two passwords differ.")
    return first


def add_command(commands: Any) -> None:
    """The ``users`` command and its sub-commands, on ``commands`` (argparse subparsers)."""
    parser = commands.add_parser("users", help="staff console accounts", description=(
        "Staff console accounts (the first admin is created here). Passwords are asked for "
        "twice without echo, or read from standard input with --password-stdin."))
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="users_command", required=True)
    create = actions.add_parser("create", help="add an account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", choices=StaffUser.ROLES, default="reviewer")
    create.add_argument("--name", default="", help="display name")
    create.add_argument("--password-stdin", action="store_true")
    actions.add_parser("list", help="list accounts")
    actions.add_parser("has-admin", help="exit status 0 if an enabled admin account exists")
    for name in ("disable", "enable"):
        actions.add_parser(name, help=f"{name} an account").add_argument("username")
    password = actions.add_parser("password", help="set a new password (ends sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    role = actions.add_parser("role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=StaffUser.ROLES)


def run(args: argparse.Namespace) -> int:
    """Carry out a ``users`` command; returns the exit status (2 for a refused change)."""
    command = args.users_command
    try:
        if command == "list":
            _list()
        elif command == "has-admin":
            with session_scope() as session:
                return 0 if admin.has_admin(session) else 1
        elif command == "create":
            password = _read_password(args.password_stdin)
            with session_scope() as session:
                accounts.create_user(session, args.username, password, args.role, args.name)
            print(f"Created {accounts.normalise_username(args.username)} ({args.role}).")
        else:
            _change(args)
    except accounts.AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _list() -> None:
    with session_scope() as session:
        for user in accounts.list_users(session):
            state = "active" if user.active else "disabled"
            print(f"{user.username:<20} {user.role:<9} {state:<9} {user.display_name}")


def _change(args: argparse.Namespace) -> None:
    """``password``, ``disable``, ``enable`` or ``role`` of an existing account."""
    command = args.users_command
    if command == "password":
        password = _read_password(args.password_stdin)
        with session_scope() as session:
            accounts.set_password(session, args.username, password, "cli")
        print("Password changed; the account's sessions were ended.")
    elif command in ("disable", "enable"):
        with session_scope() as session:
            accounts.set_active(session, args.username, command == "enable", "cli")
        print(f"{command.capitalize()}d {args.username}.")
    elif command == "role":
        with session_scope() as session:
            accounts.set_role(session, args.username, args.role, "cli")
        print(f"{args.username} is now {args.role}.")
