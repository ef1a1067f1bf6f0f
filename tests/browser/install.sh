#!/usr/bin/env bash
# Installs playwright-core (the version pinned in package.json and
# package-lock.json beside this file) into BUILD_DIR/browser/node_modules, for
# the status page's browser test (status_pages.mjs). playwright-core brings no
# browser of its own: the test drives Debian's /usr/bin/chromium.
#
# usage: install.sh BUILD_DIR
# Idempotent and offline once done: when the pinned version is already there it
# prints nothing, touches nothing and asks no registry. Exits non-zero (saying
# why) when node or npm is missing or the install fails.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
DEST="$1/browser"

want=$(sed -n 's/^ *"playwright-core": *"\([^"]*\)".*/\1/p' "$HERE/package.json" | head -1)
have_file="$DEST/node_modules/playwright-core/package.json"
if [ -f "$have_file" ] && grep -q "\"version\": *\"$want\"" "$have_file" &&
   cmp -s "$HERE/package-lock.json" "$DEST/package-lock.json"; then
  exit 0
fi

for tool in node npm; do
  command -v "$tool" >/dev/null ||
    { echo "install.sh: $tool not found (deploy/install-deps.sh installs it)" >&2; exit 1; }
done
mkdir -p "$DEST"
cp "$HERE/package.json" "$HERE/package-lock.json" "$DEST/"
echo "install.sh: installing playwright-core $want into $DEST"
# npm ci: exactly the lockfile (its integrity hashes), nothing else.
npm ci --prefix "$DEST" --no-audit --no-fund --loglevel=error
