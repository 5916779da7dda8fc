#!/usr/bin/env bash
# Make Debian's Chromium available at /usr/bin/chromium for kaleido (the PNG
# charts of `tahator report target`). In CI (CI=true, as root) it installs
# Debian's chromium package when missing; elsewhere a missing Chromium only
# means the PNG tests skip, saying so.
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the PNG chart tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x /usr/bin/chromium ] && exit 0
  echo "Chromium did not install: the PNG chart tests will fail in CI"
  exit 0
fi
echo "Chromium is not installed at /usr/bin/chromium: the PNG chart tests will skip"
exit 0
