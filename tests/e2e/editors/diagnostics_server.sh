#!/usr/bin/env bash
# diagnostics_server.sh: a stand-in for another language server (pyright, a linter) in the Helix
# tests: it answers `initialize` and `shutdown`, and publishes $DIAGNOSTICS (a JSON array of LSP
# diagnostics) for every document opened, so Helix has another source's diagnostic to pass on
# to Switchboard's code actions. Plain bash: LSP framing read with `read -N` in the C locale.
set -uo pipefail
export LC_ALL=C
DIAGNOSTICS=${DIAGNOSTICS:-[]}

send() {
  printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1"
}

while true; do
  length=0
  while IFS= read -r line; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case $line in
      Content-Length:*) length=${line#Content-Length:}; length=${length// /} ;;
    esac
  done
  [ "$length" -gt 0 ] 2>/dev/null || exit 0
  IFS= read -r -N "$length" body || exit 0
  method=""
  id=""
  [[ $body =~ \"method\":\"([^\"]+)\" ]] && method=${BASH_REMATCH[1]}
  [[ $body =~ \"id\":([0-9]+) ]] && id=${BASH_REMATCH[1]}
  case $method in
    initialize)
      send "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":{\"capabilities\":{\"textDocumentSync\":1},\"serverInfo\":{\"name\":\"fake-pyright\"}}}"
      ;;
    textDocument/didOpen)
      [[ $body =~ \"uri\":\"([^\"]+)\" ]] && uri=${BASH_REMATCH[1]}
      send "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\",\"params\":{\"uri\":\"$uri\",\"diagnostics\":$DIAGNOSTICS}}"
      ;;
    shutdown)
      send "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":null}"
      ;;
    exit)
      exit 0
      ;;
    *)
      # Any other request gets an empty answer; notifications none.
      [ -n "$id" ] && [[ $body =~ \"method\" ]] && send "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":null}"
      ;;
  esac
done
