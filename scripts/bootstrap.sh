# Sourced by ./run, ./test and .ci/run: make .venv hold exactly the pinned dependencies.
# Needs only Python 3.11 on the PATH; installs from PyPI on first use, then only when
# pyproject.toml or constraints.txt change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python_bin=""
for candidate in python3.11 python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python_bin="$candidate"
    break
  fi
done
if [ -z "$python_bin" ]; then
  echo "farechain needs Python 3.11 on the PATH" >&2
  exit 1
fi
if [ ! -x "$root/.venv/bin/python" ]; then
  "$python_bin" -m venv "$root/.venv"
fi
stamp="$root/.venv/.farechain-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ] || [ "$root/constraints.txt" -nt "$stamp" ]; then
  echo "installing farechain and its pinned dependencies into .venv ..." >&2
  "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$root/constraints.txt" -e "$root[dev]"
  touch "$stamp"
fi
