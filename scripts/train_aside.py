"""`make reload`: train a new model aside and load it into the running Rasa server.

Training never stops the bot:

1. ``rasa train`` writes to ``var/models-next/``; ``models/clinic.tar.gz`` (what the
   running server and ``make run`` use) is not touched while it trains.
2. The running server loads the new file (``PUT /model``, Rasa's HTTP API with
   ``RASA_API_TOKEN``). Rasa swaps to the new model only once it has loaded; if loading
   fails the server keeps answering with the old one and this step says so.
   Not while the conversation store is failing (health 503): conversations kept in memory
   live in the running store, which a reload replaces.
3. Only then does the new file replace ``models/clinic.tar.gz`` (the old one is kept as
   ``models/clinic.previous.tar.gz``), so the next ``make run`` starts with what is serving.

With no server running, step 2 is skipped. ``--model FILE`` skips training (load a file
trained elsewhere).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import requests

from clinic.settings import PROJECT_ROOT, get_settings

MODEL = PROJECT_ROOT / "models" / "clinic.tar.gz"
PREVIOUS = PROJECT_ROOT / "models" / "clinic.previous.tar.gz"
NEXT_DIR = PROJECT_ROOT / "var" / "models-next"


class ReloadError(RuntimeError):
    """The new model was not loaded; the server (if any) still runs the old one."""


def train_aside() -> Path:
    """Train into ``var/models-next/``; returns the new file."""
    NEXT_DIR.mkdir(parents=True, exist_ok=True)
    name = f"clinic-{time.strftime('%Y%m%d-%H%M%S')}"
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run([str(rasa), "train", "--fixed-model-name", name, "--out", str(NEXT_DIR),
                    "--quiet"], cwd=PROJECT_ROOT, check=True)
    return NEXT_DIR / f"{name}.tar.gz"


def server_running(url: str) -> bool:
    try:
        requests.get(f"{url}/version", timeout=3)
    except requests.RequestException:
        return False
    return True


def load_into_server(url: str, token: str, model: Path, timeout: float = 600) -> None:
    """Ask the running server to load ``model``; raises :class:`ReloadError` if it did not."""
    health = requests.get(f"{url}/webhooks/rest/", timeout=10)
    if health.status_code == 503:
        raise ReloadError("the conversation store is failing (health 503): reload refused, "
                          "so conversations kept in memory are not dropped; try again later")
    response = requests.put(f"{url}/model", params={"token": token},
                            json={"model_file": str(model.resolve())}, timeout=timeout)
    if response.status_code != 204:
        raise ReloadError(f"the server refused the model ({response.status_code}): "
                          f"{response.text[:300]}; it keeps the old one")


def promote(model: Path) -> None:
    """Make ``model`` the one ``make run`` starts with, keeping the old one aside."""
    if MODEL.exists():
        os.replace(MODEL, PREVIOUS)
    os.replace(model, MODEL)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="load this file instead of training")
    args = parser.parse_args(argv)
    settings = get_settings()
    model = args.model or train_aside()
    if server_running(settings.rasa_url):
        try:
            load_into_server(settings.rasa_url, settings.rasa_api_token, model)
        except (ReloadError, requests.RequestException) as error:
            print(f"Not loaded: {error}", file=sys.stderr)
            return 1
        print(f"The server at {settings.rasa_url} now runs {model.name}.")
    else:
        print("No Rasa server running: the new model is used at the next `make run`.")
    promote(model)
    print(f"{MODEL.relative_to(PROJECT_ROOT)} is the new model "
          f"(previous: {PREVIOUS.relative_to(PROJECT_ROOT)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
