#!/usr/bin/env bash
# Installs what tests/e2e/vscode.rs needs into one folder (default target/vscode-test), idempotently:
# code-server (VS Code 1.99 in the browser, on Node 20) and playwright-core from the npm registry,
# Debian's chromium to drive it, and the extension's own npm dependencies (to build the .vsix).
# Nothing is downloaded from outside the package registries: @vscode/ripgrep's GitHub download is
# pre-filled with Debian's rg, and no browser is downloaded (playwright-core drives /usr/bin/chromium).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
DIR="${1:-$ROOT/target/vscode-test}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

# System packages: the browser, its fonts, ripgrep (code-server's search), and the Kerberos headers
# code-server's native `kerberos` module builds against.
missing=()
for pkg in chromium fonts-dejavu-core ripgrep libkrb5-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get install -y "${missing[@]}" >/dev/null ||
    { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "${missing[@]}" >/dev/null; }
fi

export npm_config_cache="$DIR/npm-cache"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# node-pty's postinstall runs `npx node-gyp`; native modules build against the system Node's headers.
export npm_config_yes=true npm_config_nodedir=/usr
# code-server's postinstall refuses to run as root without unsafe-perm, and runs `npm install` in
# its own folders, whose native modules (node-pty, spdlog, kerberos, …) must build: npm 11 skips
# dependencies' install scripts unless allowed. Everything installed is pinned by package-lock.json
# and code-server's own shrinkwrap.
export npm_config_unsafe_perm=true npm_config_dangerously_allow_all_scripts=true
# @vscode/ripgrep downloads rg from GitHub unless its cache has the archive: give it Debian's.
export TMPDIR="$DIR/tmp"
mkdir -p "$TMPDIR"
RG_CACHE="$TMPDIR/vscode-ripgrep-cache-1.15.11"
RG_ARCHIVE="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$RG_ARCHIVE" ]; then
  mkdir -p "$RG_CACHE/bin"
  cp "$(command -v rg)" "$RG_CACHE/bin/rg"
  tar -czf "$RG_ARCHIVE" -C "$RG_CACHE/bin" rg
fi

# code-server and playwright-core, pinned by package-lock.json; reinstalled when the lock changes.
if ! cmp -s "$HERE/package-lock.json" "$DIR/package-lock.json" || [ ! -f "$DIR/node_modules/code-server/out/node/entry.js" ]; then
  cp "$HERE/package.json" "$HERE/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >"$DIR/npm-install.log" 2>&1) ||
    { tail -40 "$DIR/npm-install.log" >&2; echo "vscode-test: npm ci failed; log: $DIR/npm-install.log" >&2; exit 1; }
fi

# The extension's dependencies (TypeScript, vsce, vscode-languageclient), pinned by its lock file.
npm_config_dangerously_allow_all_scripts=false bash "$ROOT/editors/vscode/scripts/package.sh" --deps-only >"$DIR/npm-extension.log" 2>&1 ||
  { tail -40 "$DIR/npm-extension.log" >&2; echo "vscode-test: npm ci in editors/vscode failed" >&2; exit 1; }
