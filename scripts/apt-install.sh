#!/usr/bin/env bash
# apt-install.sh WHO PACKAGE...: installs Debian packages for a set-up script named WHO, with sudo
# when not root; refuses with a message naming WHO where there is no apt-get or no way to be root.
set -euo pipefail
who=$1
shift
if ! command -v apt-get >/dev/null; then
  echo "$who: no apt-get here; install $* by other means" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "$who: installing $* needs root (or sudo)" >&2
    exit 1
  fi
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "$@"
