"""`make faults`: messages sent against stored under four faults -> docs/faults.md.

Each fault runs on its own fresh servers (Rasa, action server, worker) and private database:

- **database locked**: another process holds SQLite's write lock;
- **disk full**: the database lives on a small tmpfs that is filled up (needs root for
  ``mount``; skipped otherwise);
- **action server hung**: the action server is stopped (SIGSTOP);
- **worker killed**: the notification worker is killed (SIGKILL) and started again.

Each fault lasts while the patients send four rounds 5 s apart (about 25 s).

During each fault three patients keep writing (questions, one red flag, a booking start).
Afterwards the run counts, per patient, the messages stored in the conversation store and
the staff alerts stored, and what each patient was told while the fault lasted (a plain
"your message did not go through, call ..." note, or the clinic's phone). A gap counts as
told when the patient got that note for the message.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import sqlalchemy as sa

from scripts.servers import ROOT, Servers, start

MESSAGES = ["what is kyphoplasty?", "how long is the recovery?",
            "since the procedure i cant feel my legs", "will I be asleep?",
            "i would like to book an appointment", "can I drive after?"]
PATIENTS = ("fault-a", "fault-b", "fault-c")
# words of utter_message_not_saved and of the phone fallback (utter_technical_difficulty)
TOLD = ("trouble saving messages", "having a technical problem")


@dataclass
class Outcome:
    """One fault's counts."""

    name: str
    sent: int = 0
    answered: int = 0
    told: int = 0
    stored: int = 0
    gap_told: int = 0
    sent_texts: List[Tuple[str, str, bool]] = field(default_factory=list)
    red_flags_sent: int = 0
    alerts_stored: int = 0
    notes: List[str] = field(default_factory=list)


def stored(database_url: str) -> Tuple[List[Tuple[str, str]], int]:
    """(conversation, text) of the stored patient messages, and the staff alerts stored."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        users = connection.execute(sa.text(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")).all()
        alerts = connection.execute(sa.text("SELECT COUNT(*) FROM staff_alerts")).scalar_one()
    engine.dispose()
    return ([(sender, json.loads(data)["text"]) for sender, data in users
             if sender.startswith("rest-fault")], int(alerts))


def settle(database_url: str, limit: float = 120.0) -> None:
    """Wait until nothing new is stored for 6 s (turns that outlived their reply finish)."""
    deadline, last, quiet = time.monotonic() + limit, None, 0
    while time.monotonic() < deadline and quiet < 3:
        time.sleep(2)
        now = stored(database_url)
        now_len = (len(now[0]), now[1])
        quiet = quiet + 1 if now_len == last else 0
        last = now_len


def converse(running: Servers, outcome: Outcome, rounds: int, pause: float) -> None:
    """Each patient sends ``rounds`` messages, ``pause`` seconds apart."""
    for index in range(rounds):
        for patient in PATIENTS:
            number = len(outcome.sent_texts) + 1
            text = f"{MESSAGES[(index + PATIENTS.index(patient)) % len(MESSAGES)]} ({number})"
            outcome.sent += 1
            outcome.red_flags_sent += "legs" in text
            try:
                response = running.send(patient, text, timeout=60)
            except Exception as error:  # noqa: BLE001 - counted, not raised
                outcome.notes.append(f"{type(error).__name__} for one message")
                outcome.sent_texts.append((patient, text, False))
                continue
            replies = (" ".join(m.get("text", "") for m in response.json())
                       if response.status_code == 200 else "")
            told = any(words in replies for words in TOLD)
            outcome.answered += bool(replies)
            outcome.told += told
            outcome.sent_texts.append((patient, text, told))
        time.sleep(pause)


def run_fault(name: str, inject: Callable[[Servers, Path], Callable[[], None]],
              env: Optional[Dict[str, str]] = None, db_dir: Optional[Path] = None) -> Outcome:
    """Start servers, talk, inject the fault, talk during it, repair, wait, count."""
    outcome = Outcome(name)
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        workdir = db_dir or Path(tmp)
        running = start(workdir, True, "fault-token", True, WORKER_POLL_SECONDS="0.5",
                        **(env or {}))
        try:
            converse(running, outcome, 1, 0.2)
            repair = inject(running, workdir)
            try:
                converse(running, outcome, 4, 5.0)
            finally:
                repair()
            settle(running.database_url)  # turns still running, background retries, spool
            converse(running, outcome, 1, 0.2)
            settle(running.database_url)
            messages, outcome.alerts_stored = stored(running.database_url)
            kept = {(sender.removeprefix("rest-"), text) for sender, text in messages}
            outcome.stored = sum((p, t) in kept for p, t, _ in outcome.sent_texts)
            missing = [(t, told) for p, t, told in outcome.sent_texts if (p, t) not in kept]
            outcome.gap_told = sum(told for _, told in missing)
            outcome.notes += [f"missing: {t!r}{' (told)' if told else ''}" for t, told in missing]
        finally:
            running.stop()
            for log in workdir.glob("*.log"):  # kept for reading: var/faults/<fault>-<log>
                keep = ROOT / "var" / "faults" / f"{name.split()[0]}-{name.split()[1]}-{log.name}"
                keep.parent.mkdir(parents=True, exist_ok=True)
                keep.write_bytes(log.read_bytes())
    return outcome


def lock_database(running: Servers, _: Path) -> Callable[[], None]:
    db = Path(running.database_url.removeprefix("sqlite:///"))
    locker = sqlite3.connect(db, timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")

    def release() -> None:
        locker.execute("ROLLBACK")
        locker.close()

    return release


def hang_actions(running: Servers, _: Path) -> Callable[[], None]:
    assert running.actions is not None
    os.kill(running.actions.pid, signal.SIGSTOP)
    return lambda: os.kill(running.actions.pid, signal.SIGCONT)  # type: ignore[union-attr]


def kill_worker(running: Servers, workdir: Path) -> Callable[[], None]:
    assert running.worker is not None
    running.worker.kill()

    def restart() -> None:
        env = dict(os.environ, DATABASE_URL=running.database_url, PYTHONPATH=str(ROOT),
                   ALERT_SPOOL_DIR=str(workdir / "spool"), WORKER_POLL_SECONDS="0.5")
        running.worker = subprocess.Popen([sys.executable, "-m", "clinic.worker"], cwd=ROOT,
                                          env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        running.processes.append(running.worker)

    return restart


def fill_disk(_: Servers, workdir: Path) -> Callable[[], None]:
    filler = workdir / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    return lambda: filler.unlink()


def disk_full() -> Optional[Outcome]:
    mount = Path(tempfile.mkdtemp(prefix="faults-tmpfs-"))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        return None
    try:
        return run_fault("disk full", fill_disk, db_dir=mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def report(outcomes: List[Outcome]) -> str:
    rows = "\n".join(
        f"| {o.name} | {o.sent} | {o.answered} | {o.told} | {o.stored} | {o.sent - o.stored} | "
        f"{o.gap_told} | {o.red_flags_sent} | {o.alerts_stored} | {'; '.join(o.notes) or '-'} |"
        for o in outcomes)
    return (
        "# Fault run\n\n"
        "Three patients write over REST before, during and after each fault (fresh servers "
        "and database per fault, worker on). Stored: user messages in the conversation store "
        "after the fault was repaired. Told: replies that said the message may not have been "
        "saved, or that the bot has a technical problem, each with the clinic's phone. "
        "Reproduce: `make faults` (root needed for the disk-full tmpfs).\n\n"
        "| fault | sent | answered | told | stored | gap | gap told | red flags sent | "
        "alerts stored | notes |\n|---|---|---|---|---|---|---|---|---|---|\n" + rows + "\n")


def main() -> int:
    only = set(sys.argv[1:])  # e.g. `locked hung`: run only those (report not written)
    faults: Dict[str, Callable[[], Optional[Outcome]]] = {
        "locked": lambda: run_fault("database locked", lock_database),
        "hung": lambda: run_fault("action server hung (SIGSTOP)", hang_actions),
        "worker": lambda: run_fault("worker killed and restarted", kill_worker),
        "disk": disk_full,
    }
    outcomes = [o for key, run in faults.items() if not only or key in only
                for o in [run()] if o is not None]
    text = report(outcomes)
    if not only:
        (ROOT / "docs" / "faults.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(o.sent - o.stored == o.gap_told for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
