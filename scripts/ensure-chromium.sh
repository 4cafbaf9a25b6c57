#!/usr/bin/env bash
# The Web UI test drives Debian's Chromium with playwright-core (no browser download:
# only the package registries are reachable). Installs it once if it is missing.
set -euo pipefail
chromium=${CLO_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "ensure-chromium: $chromium is missing; install Debian's chromium package (apt-get install chromium) or set CLO_CHROMIUM" >&2
  exit 1
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "ensure-chromium: installing Debian's chromium (first run only)..." >&2
as_root apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >&2
