"""Start the real Rasa server and action server on free ports for HTTP tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REST_TOKEN = "test-rest-token"  # what REST integrations send (Authorization: Bearer ...)
ACTION_TOKEN = "test-action-token"  # what Rasa sends the action server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not up after {timeout}s")


def test_endpoints(actions_port: int, workdir: Path) -> Dict[str, Any]:
    """The project's endpoints.yml with a local action server and a private database.

    The tracker store follows ``DATABASE_URL`` (``start`` exports the private database's
    URL); a store configured with its own ``db`` is pointed at the same file.
    """
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    if not config["tracker_store"].get("use_database_url"):
        config["tracker_store"]["db"] = str(workdir / "tracker.db")
    return config


def _env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SANIC_REQUEST_MAX_SIZE="1048576",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def migrate(database_url: str) -> None:
    """Bring a database to the newest schema (what `make run` does before starting)."""
    subprocess.run(
        [str(VENV_BIN / "alembic"), "-x", f"url={database_url}", "upgrade", "head"],
        cwd=ROOT, env=_env(), check=True, capture_output=True,
    )


SETTLED_MARK = "Twilio webhook refused"  # logged for every unsigned text-message webhook call


@dataclass
class Servers:
    """Running Rasa (and optionally action) server processes and their logs."""

    rasa_url: str
    token: str
    workdir: Path
    database_url: str
    actions_url: str = ""
    processes: List[subprocess.Popen] = field(default_factory=list)
    actions: Optional[subprocess.Popen] = None
    worker: Optional[subprocess.Popen] = None

    def send(self, sender: str, message: Any, **kwargs: Any) -> requests.Response:
        """POST to the REST channel as an authenticated integration."""
        headers = {"Authorization": f"Bearer {REST_TOKEN}", **kwargs.pop("headers", {})}
        return requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=kwargs.pop("timeout", 60), headers=headers,
            **kwargs,
        )

    def texts(self, sender: str, message: str) -> List[str]:
        response = self.send(sender, message)
        assert response.status_code == 200, response.text
        return [m.get("text", "") for m in response.json()]

    def tracker(self, sender: str) -> Dict[str, Any]:
        response = requests.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob("*.log"))

    def settled_logs(self, timeout: float = 20.0) -> str:
        """The logs once the Rasa server has logged everything about requests answered so far.

        An unsigned text-message webhook call is refused with a log line (``SETTLED_MARK``);
        once that line is in the log, so is every line logged before it.
        """
        before = self.logs().count(SETTLED_MARK)
        requests.post(f"{self.rasa_url}/webhooks/twilio/webhook", data=b"", timeout=10)
        deadline = time.monotonic() + timeout
        while (logs := self.logs()).count(SETTLED_MARK) <= before:
            assert time.monotonic() < deadline, f"no {SETTLED_MARK!r} line after {timeout} s"
            time.sleep(0.02)
        return logs

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _spawn(servers: Servers, name: str, args: List[str], env: Dict[str, str]) -> subprocess.Popen:
    log = open(servers.workdir / f"{name}.log", "w")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    servers.processes.append(process)
    return process


def start(
    workdir: Path, with_actions: bool = True, token: str = "test-token",
    with_worker: bool = False, **env_extra: str,
) -> Servers:
    """Start an action server and worker (optional) and a Rasa server on a private database."""
    workdir.mkdir(parents=True, exist_ok=True)
    actions_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(test_endpoints(actions_port, workdir)), encoding="utf-8")
    database_url = f"sqlite:///{workdir / 'tracker.db'}"
    migrate(database_url)
    servers = Servers(f"http://127.0.0.1:{rasa_port}", token, workdir, database_url,
                      actions_url=f"http://127.0.0.1:{actions_port}")
    env_extra.setdefault("WEB_CHAT_SECRET_FILE", str(workdir / "web_chat_secret"))
    env_extra.setdefault("ALERT_SPOOL_DIR", str(workdir / "spool"))  # one spool per database
    env_extra.setdefault("REST_API_TOKEN", REST_TOKEN)
    env_extra.setdefault("ACTION_SERVER_TOKEN", ACTION_TOKEN)
    env = _env(DATABASE_URL=database_url, RASA_URL=servers.rasa_url, RASA_API_TOKEN=token,
               **env_extra)
    python = str(VENV_BIN / "python")
    if with_actions:
        servers.actions = _spawn(servers, "actions", [
            python, "-m", "action_server", "--port", str(actions_port)
        ], env)
    if with_worker:
        servers.worker = _spawn(servers, "worker", [python, "-m", "clinic.worker"], env)
    rasa = _spawn(servers, "rasa", [
        python, "-m", "scripts.rasa_run", "run", "--model", "models/clinic.tar.gz",
        "--port", str(rasa_port), "--credentials", "credentials.yml",
        "--endpoints", str(endpoints), "--enable-api",
    ], env)
    try:
        if servers.actions is not None:
            wait_for(f"{servers.actions_url}/health", servers.actions)
        wait_for(f"{servers.rasa_url}/webhooks/rest/", rasa)
    except Exception:
        servers.stop()
        raise
    return servers


@dataclass
class ConsoleServer:
    """A running review console process (``python -m console``) on a servers' database."""

    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def add_console_user(database_url: str, username: str, password: str, role: str) -> None:
    """Create a console account with the real CLI (password on standard input)."""
    subprocess.run(
        [str(VENV_BIN / "python"), "-m", "clinic", "users", "create", "--username", username,
         "--role", role, "--password-stdin"],
        cwd=ROOT, env=_env(DATABASE_URL=database_url), input=password + "\n", text=True,
        check=True, capture_output=True,
    )


def start_console(servers: Servers, **env_extra: str) -> ConsoleServer:
    """Start the review console on ``servers``' database and Rasa, on a free port."""
    port = free_port()
    env = _env(DATABASE_URL=servers.database_url, RASA_URL=servers.rasa_url,
               RASA_API_TOKEN=servers.token, CONSOLE_PORT=str(port), **env_extra)
    log = open(servers.workdir / "console.log", "w")
    process = subprocess.Popen([str(VENV_BIN / "python"), "-m", "console"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    console = ConsoleServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(f"{console.url}/health", process, timeout=60)
    except Exception:
        console.stop()
        raise
    return console
