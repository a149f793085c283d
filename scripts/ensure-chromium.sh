#!/usr/bin/env bash
# Make sure Debian's Chromium is installed: the report and dashboard tests drive it headless via
# Playwright's Python package (never `playwright install`, which downloads a browser).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "error: /usr/bin/chromium is missing and apt-get is not available; install Chromium." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "Installing Debian chromium (for the browser tests) ..."
$SUDO apt-get install -y -q chromium >/dev/null || {
  $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null
}
[ -x /usr/bin/chromium ] || { echo "error: chromium did not install" >&2; exit 1; }
