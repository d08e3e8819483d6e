"""The project's one command line, ``python -m clinic COMMAND`` (``--help`` lists them).

``staff`` (alerts, hand-offs, appointment requests), ``followup`` (post-procedure check-ins),
``users`` (console accounts), ``index`` (the console's conversation index) and ``export``
(annotations as training data). ``python -m clinic.staff`` still works: ``staff`` with
``followup`` as one of its commands.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from typing import Any, Optional, Sequence

from clinic import staff
from clinic.accounts import cli as accounts_cli
from clinic.followups import schedule as followups
from clinic.review import cli as review_cli

DESCRIPTION = ("The spine clinic assistant's command line: staff tools, console accounts, "
               "the console's conversation index and training-data exports.")
STAFF_HELP = "alerts, hand-offs and appointment requests: list, reply, resume, update"
FOLLOWUP_HELP = "post-procedure check-ins by text: register, list, cancel"


def parser() -> argparse.ArgumentParser:
    """``python -m clinic``'s parser: every command sets ``run`` (args -> exit status)."""
    top = argparse.ArgumentParser(prog="python -m clinic", description=DESCRIPTION)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_staff_arguments(commands.add_parser("staff", help=STAFF_HELP, description=STAFF_HELP))
    followup = commands.add_parser("followup", help=FOLLOWUP_HELP, description=FOLLOWUP_HELP)
    _staff_option(followup)
    add_followup_actions(followup)
    followup.set_defaults(run=run_staff_command, staff_command="followup")
    accounts_cli.add_command(commands)
    review_cli.add_commands(commands)
    return top


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; returns its exit status."""
    args = parser().parse_args(argv)
    return int(args.run(args))


def staff_tool(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m clinic.staff``: the ``staff`` commands and ``followup`` under one parser."""
    legacy = argparse.ArgumentParser(prog="python -m clinic.staff", description=STAFF_HELP)
    commands = add_staff_arguments(legacy)
    add_followup_actions(commands.add_parser("followup", help=FOLLOWUP_HELP))
    args = legacy.parse_args(argv)
    return run_staff_command(args)


def _staff_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", default="staff", help="your name, stored with each action")


def add_staff_arguments(parser: argparse.ArgumentParser) -> Any:
    """``--staff`` and the ``list|reply|resume|ack|close|booking`` commands; their subparsers."""
    _staff_option(parser)
    parser.set_defaults(run=run_staff_command)
    commands = parser.add_subparsers(dest="staff_command", required=True)
    show = commands.add_parser("list", help="open alerts, hand-offs and appointment requests")
    show.add_argument("--all", action="store_true", help="include closed ones")
    say = commands.add_parser("reply", help="send a message into a hand-off's conversation")
    say.add_argument("handoff_id", type=int)
    say.add_argument("text")
    say.add_argument("--resume", action="store_true", help="also give the chat back to the bot")
    back = commands.add_parser("resume", help="give a hand-off's conversation back to the bot")
    back.add_argument("handoff_id", type=int)
    for name in ("ack", "close"):
        alert = commands.add_parser(name, help=f"{name} a staff alert")
        alert.add_argument("alert_id", type=int)
    booking = commands.add_parser("booking", help="update an appointment request's status")
    booking.add_argument("request_id", type=int)
    booking.add_argument("status", choices=("contacted", "closed"))
    return commands


def add_followup_actions(parser: argparse.ArgumentParser) -> None:
    """``add|list|cancel`` under a ``followup`` parser."""
    actions = parser.add_subparsers(dest="followup_command", required=True)
    add = actions.add_parser("add", help="register a patient for check-ins")
    add.add_argument("--phone", required=True, help="the patient's mobile number")
    add.add_argument("--procedure", required=True, choices=followups.PROCEDURES)
    add.add_argument("--date", required=True, type=date.fromisoformat,
                     help="procedure date, YYYY-MM-DD")
    add.add_argument("--timezone", help="the patient's IANA time zone, e.g. America/Denver "
                                        "(default: FOLLOWUP_TIMEZONE / the clinic's)")
    show = actions.add_parser("list", help="active follow-ups and their check-ins")
    show.add_argument("--all", action="store_true", help="include cancelled and completed")
    stop = actions.add_parser("cancel", help="cancel a follow-up's remaining check-ins")
    stop.add_argument("followup_id", type=int)


def run_staff_command(args: argparse.Namespace) -> int:
    """Carry out a ``staff`` or ``followup`` command; 1 (and why, on stderr) if refused."""
    command = args.staff_command
    try:
        if command == "list":
            print("\n".join(staff.listing(args.all)) or "Nothing open.")
        elif command == "reply":
            asyncio.run(staff.reply(args.handoff_id, args.text, args.staff, args.resume))
        elif command == "resume":
            asyncio.run(staff.resume(args.handoff_id, args.staff))
        elif command == "booking":
            staff.set_appointment_status(args.request_id, args.status, args.staff)
        elif command == "followup":
            run_followup_command(args)
        else:
            status = "acknowledged" if command == "ack" else "closed"
            staff.set_alert_status(args.alert_id, status, args.staff)
    except (staff.StaffActionError, staff.RasaUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_followup_command(args: argparse.Namespace) -> None:
    """Carry out a ``followup`` command (errors become StaffActionError)."""
    try:
        if args.followup_command == "add":
            new_id = followups.register(args.phone, args.procedure, args.date, args.staff,
                                        args.timezone)
            print(f"Follow-up #{new_id} registered.")
            print("\n".join(line for line in followups.listing(show_all=True)
                            if line.startswith(f"followup #{new_id} ")))
        elif args.followup_command == "list":
            print("\n".join(followups.listing(args.all)) or "No follow-ups.")
        else:
            skipped = followups.cancel(args.followup_id)
            print(f"Follow-up #{args.followup_id} cancelled ({skipped} check-in(s) not sent).")
    except followups.FollowUpError as exc:
        raise staff.StaffActionError(str(exc)) from exc
