#!/usr/bin/env bash
# Installs the real generators that tests/test_generators.py compares feedtool with: Debian's
# hugo, jekyll and ruby-jekyll-feed (as root, or with sudo), then Hexo with hexo-generator-feed
# from the committed package-lock.json into tests/generators/hexo/node_modules.
set -euo pipefail
cd "$(dirname "$0")"
log=${TMPDIR:-/tmp}/feedtool-generators.log
: >"$log"
missing=()
for pkg in hugo jekyll ruby-jekyll-feed; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_install() { $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }
  # A fresh machine may have no package lists yet: update once, then try again.
  if ! apt_install && ! { $sudo apt-get update -q >>"$log" 2>&1 && apt_install; }; then
    echo "could not install ${missing[*]} (see $log)" >&2
    exit 1
  fi
  echo "installed ${missing[*]}"
fi
# npm ci wipes node_modules first, so it runs only when the lock file changed.
if [ ! -e hexo/node_modules/.ci-stamp ] || [ hexo/package-lock.json -nt hexo/node_modules/.ci-stamp ]; then
  (cd hexo && npm ci --no-audit --no-fund --loglevel=error >>"$log" 2>&1) \
    || { echo "npm ci failed in tests/generators/hexo (see $log)" >&2; exit 1; }
  touch hexo/node_modules/.ci-stamp
  echo "installed hexo and hexo-generator-feed in tests/generators/hexo/node_modules"
fi
