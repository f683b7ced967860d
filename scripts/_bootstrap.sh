# Sourced by scripts/up, scripts/test and scripts/check: make .venv with the project installed.
# Installs from the lock (requirements/dev.txt, every release pinned with its hashes) and
# installs again whenever the lock or pyproject.toml changes. Needs only Python 3.11+ and the
# package registry. To change a dependency: edit pyproject.toml, run ./scripts/lock, commit both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
LOCK="$ROOT/requirements/dev.txt"
STAMP="$VENV/.hourbridge-installed"

find_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      echo "$candidate"; return 0
    fi
  done
  echo "HourBridge needs Python 3.11 or newer on PATH" >&2
  return 1
}

# What the installed .venv was made from: the lock and pyproject.toml, by content (a checkout
# or a `git switch` rewrites files, so modification times would say little).
inputs_digest() {
  cat "$LOCK" "$ROOT/pyproject.toml" | "$VENV/bin/python" -c \
    'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$(find_python)" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$(inputs_digest)" ]; then
  echo "==> installing HourBridge and its test tools into .venv from requirements/dev.txt" \
       "(first run takes a minute)"
  # Hash-checked: a release the lock does not name, or a file whose hash differs, is refused.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r "$LOCK"
  # The project itself, editable, without resolving anything: its dependencies came from the
  # lock and its build backend (setuptools, in the lock) is the one just installed.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -e "$ROOT"
  inputs_digest > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
