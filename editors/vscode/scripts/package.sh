#!/usr/bin/env bash
# Builds the Switchboard .vsix with @vscode/vsce, offline once npm's cache holds the packages.
#
#   scripts/package.sh                     # a universal .vsix: the binary comes from switchboard.path or PATH
#   scripts/package.sh --release           # builds `cargo build --release` and bundles it: a .vsix for this platform
#   scripts/package.sh --bundle BIN --target linux-arm64   # bundles a binary built for another platform
#   scripts/package.sh --out DIR_OR_FILE   # where the .vsix goes (default: editors/vscode/)
#   scripts/package.sh --deps-only         # only installs the npm dependencies (npm ci)
#
# Then: code --install-extension editors/vscode/switchboard-<version>[-<target>].vsix
set -euo pipefail
EXT="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$EXT/../.." && pwd)"
cd "$EXT"

out="" bundle="" target="" release=false deps_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --target) target="$2"; shift 2 ;;
    --release) release=true; shift ;;
    --deps-only) deps_only=true; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Dependencies, pinned by package-lock.json; reinstalled only when the lock file changed.
if ! cmp -s package-lock.json node_modules/.switchboard-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.switchboard-installed-lock
fi
$deps_only && exit 0

if $release; then
  (cd "$ROOT" && cargo build --release --locked -p switchboard)
  bundle="$ROOT/target/release/switchboard"
fi
if [ -n "$bundle" ] && [ -z "$target" ]; then
  # VS Code's platform names (linux-x64, darwin-arm64, win32-x64, …) are Node's platform-arch.
  target="$(node -p 'process.platform + "-" + process.arch')"
fi

# server/ holds the bundled binary only while packaging, so a stale one is never shipped.
rm -rf server out
trap 'rm -rf "$EXT/server"' EXIT
if [ -n "$bundle" ]; then
  [ -x "$bundle" ] || { echo "package.sh: $bundle is not an executable file" >&2; exit 1; }
  mkdir -p server
  exe=switchboard
  case "$target" in win32-*) exe=switchboard.exe ;; esac
  cp "$bundle" "server/$exe"
  chmod 755 "server/$exe"
fi

npx tsc -p .

version="$(node -p 'require("./package.json").version')"
name="switchboard-$version${target:+-$target}.vsix"
if [ -z "$out" ]; then
  out="$EXT/$name"
elif [ -d "$out" ]; then
  out="${out%/}/$name"
fi
args=(package --skip-license --out "$out")
[ -n "$target" ] && args+=(--target "$target")
npx vsce "${args[@]}"
echo "$out"
