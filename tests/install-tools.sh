#!/usr/bin/env bash
# Installs what the tests use beside Python packages (`make test` runs this first): the real
# generators that tests/test_generators.py compares feedtool with (Hugo, Jekyll with jekyll-feed,
# and Hexo with hexo-generator-feed from the committed package-lock.json), Chromium with CJK
# fonts for the browser tests, and SpamAssassin to score the digest. Debian's packages, as root or with sudo, for what is missing.
set -euo pipefail
cd "$(dirname "$0")"
log=${TMPDIR:-/tmp}/feedtool-test-tools.log
: >"$log"
have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have hugo || missing+=(hugo)
have jekyll || missing+=(jekyll)
ruby -e 'require "jekyll-feed"' >/dev/null 2>&1 || missing+=(ruby-jekyll-feed)
have chromium || have chromium-browser || missing+=(chromium)
fc-list 2>/dev/null | grep -qi 'noto.*cjk' || missing+=(fonts-noto-cjk)
have spamassassin || missing+=(spamassassin)
if [ ${#missing[@]} -gt 0 ]; then
  if ! have apt-get; then
    echo "the tests need: ${missing[*]} (Debian's package names); install them, then run make test again" >&2
    exit 1
  fi
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_install() { $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }
  # A fresh machine may have no package lists yet: update once, then try again.
  if ! apt_install && ! { $sudo apt-get update -q >>"$log" 2>&1 && apt_install; }; then
    echo "could not install ${missing[*]} (see $log)" >&2
    exit 1
  fi
  echo "installed ${missing[*]} for the tests"
fi
# npm ci wipes node_modules first, so it runs only when the lock file changed.
hexo=generators/hexo
if [ ! -e $hexo/node_modules/.ci-stamp ] || [ $hexo/package-lock.json -nt $hexo/node_modules/.ci-stamp ]; then
  (cd $hexo && npm ci --no-audit --no-fund --loglevel=error >>"$log" 2>&1) \
    || { echo "npm ci failed in tests/$hexo (see $log)" >&2; exit 1; }
  touch $hexo/node_modules/.ci-stamp
  echo "installed hexo and hexo-generator-feed in tests/$hexo/node_modules"
fi
