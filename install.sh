#!/usr/bin/env bash
# Install Minuku's native host for Thunderbird (Linux, macOS).
#
#   ./install.sh [--profile NAME_OR_PATH] [--lang ja]
#
# 1. creates the host's own venv in your data folder and pip-installs this checkout into it,
# 2. runs that venv's `minuku install` (launcher, host manifest, dist/minuku.xpi; the options
#    above are passed to it),
# 3. checks a sample phishing mail offline and prints the verdict,
# 4. tells you how to add the add-on to Thunderbird.
# Undo with: "<data folder>/venv/bin/minuku" uninstall
# Environment: PYTHON=/path/to/python3.11+ picks the interpreter.
set -euo pipefail
# Everything this script creates (data folder, venv, launcher) is the user's alone, whatever
# umask the shell had: under umask 000 another local user could replace what Thunderbird runs.
umask 077

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SAMPLE="$REPO/examples/amazon-keiyaku-furikou-phish.eml"

say() { printf '%s\n' "$*"; }
die() { printf 'minuku install.sh: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)" in
  Linux | *BSD | DragonFly)
    data_home="${XDG_DATA_HOME:-}"
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    case "$data_home" in /*) ;; *) data_home="$HOME/.local/share" ;; esac
    DATA="$data_home/minuku"
    ;;
  Darwin)
    DATA="$HOME/Library/Application Support/Minuku"
    ;;
  MINGW* | MSYS* | CYGWIN*)
    die "on Windows run install.ps1 in PowerShell, or: py -m pip install . ; minuku install"
    ;;
  *)
    die "unsupported system $(uname -s)"
    ;;
esac
VENV="$DATA/venv"
VPY="$VENV/bin/python"

python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

PY=""
if [ -n "${PYTHON:-}" ]; then
  python_ok "$PYTHON" || die "PYTHON=$PYTHON is not a Python 3.11 or newer"
  PY="$PYTHON"
else
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      PY="$(command -v "$candidate")"
      break
    fi
  done
fi
[ -n "$PY" ] || die "Python 3.11 or newer is needed (Debian/Ubuntu: apt install python3 python3-venv; macOS: python.org or Homebrew). Or set PYTHON=/path/to/python3."

say "== Minuku: host venv in $VENV (Python: $PY)"
mkdir -p "$DATA"
chmod 700 "$DATA" # an older install under a loose umask may have left it open
if [ -x "$VPY" ] && python_ok "$VPY"; then
  :
else
  # A venv left by an older Python, or half-created, is rebuilt from scratch.
  "$PY" -m venv --clear "$VENV" ||
    die "could not create the venv. On Debian/Ubuntu install the venv module: sudo apt install python3-venv"
fi
if ! "$VPY" -m pip --version >/dev/null 2>&1; then
  "$VPY" -m ensurepip --upgrade >/dev/null ||
    die "the venv has no pip and ensurepip failed (Debian/Ubuntu: sudo apt install python3-venv)"
fi

say "== Installing Minuku into the venv (pip install $REPO)"
"$VPY" -m pip install --disable-pip-version-check --quiet --upgrade "$REPO" ||
  die "pip could not install Minuku (see the messages above)"
[ -x "$VENV/bin/minuku" ] || die "the venv has no minuku command after pip install"

say "== Registering the native host with Thunderbird"
"$VENV/bin/minuku" install --source "$REPO" "$@" || die "minuku install failed"

say ""
say "== Checking a sample phishing mail offline: ${SAMPLE#"$REPO/"}"
if [ -f "$SAMPLE" ]; then
  # Exit status 0-3 is a verdict (this sample is danger: 2); 4 and above is a failure.
  rc=0
  "$VENV/bin/minuku" check --offline "$SAMPLE" || rc=$?
  if [ "$rc" -ge 4 ]; then
    die "the host could not check the sample; run \"$VENV/bin/minuku\" doctor"
  fi
else
  say "(sample not found; skipped)"
fi

say ""
profile_given=no
for arg in "$@"; do
  case "$arg" in --profile | --profile=*) profile_given=yes ;; esac
done
if [ "$profile_given" = yes ]; then
  say "Done. Restart Thunderbird and enable Minuku in Add-ons and Themes if it asks."
elif [ -f "$REPO/dist/minuku.xpi" ]; then
  say "Done. Now add the add-on: Thunderbird > Add-ons and Themes > gear icon >"
  say "  Install Add-on From File... > $REPO/dist/minuku.xpi"
  say "(アドオンとテーマ > 歯車 > ファイルからアドオンをインストール… > dist/minuku.xpi)"
else
  say "The host is installed, but the add-on package dist/minuku.xpi was not built (see above)."
fi
say "Check the installation at any time: \"$VENV/bin/minuku\" doctor"
