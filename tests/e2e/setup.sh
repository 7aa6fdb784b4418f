#!/bin/sh
# Install what the end-to-end tests need: Thunderbird (Debian's package), Dovecot (the IMAP
# server of the arrival test), a CJK font so Japanese banners render in screenshots, and
# marionette-driver in the project's venv.
# Non-interactive and idempotent: does nothing that is already there. Exit 0 when ready,
# 1 when Thunderbird cannot be installed (the test then skips with a reason).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${MINUKU_PYTHON:-$root/.venv/bin/python}

need_apt=""
command -v thunderbird >/dev/null 2>&1 || need_apt="$need_apt thunderbird"
# Dovecot: the real IMAP server of the arrival test (test_arrival_imap.py starts its own, on a
# loopback port with a throw-away config; the distribution's service is not used).
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need_apt="$need_apt dovecot-imapd"
if ! fc-list 2>/dev/null | grep -qi -e "Noto Sans CJK" -e "IPAGothic" -e "IPAexGothic"; then
  need_apt="$need_apt fonts-noto-cjk"
fi

if [ -n "$need_apt" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup.sh: installing$need_apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt-get install -y -qq --no-install-recommends $need_apt xauth >/dev/null
  else
    echo "setup.sh: missing$need_apt and cannot install (need root and apt-get)" >&2
  fi
fi

if [ -x "$python" ] && ! "$python" -c "import marionette_driver" 2>/dev/null; then
  "$python" -m pip install -q "marionette-driver==3.7.1"
fi

if command -v thunderbird >/dev/null 2>&1; then
  echo "setup.sh: $(thunderbird --version 2>/dev/null || echo thunderbird) ready" >&2
  exit 0
fi
echo "setup.sh: thunderbird is not available" >&2
exit 1
