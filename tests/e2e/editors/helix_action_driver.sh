#!/usr/bin/env bash
# helix_action_driver.sh: runs an AI code action in a real Helix, in a private tmux server, for
# tests/e2e/helix.rs.
#
#   helix_action_driver.sh HX WORK
#
# WORK holds config/helix/{languages,config}.toml (written by the test, with switchboard as the
# python server), proj/main.py, and receives cache/ and the screens. The driver opens main.py,
# goes to line LINE (first non-blank), presses <space>a (code actions), moves down the menu to
# the first entry containing ACTION (Helix's code-action menu cannot be filtered by typing) and
# presses Enter. The server must start ACTION_ID. If TYPED is set, the driver then at once goes
# to the last line (ge), opens a line below (o), types TYPED and leaves insert mode: TYPED must be
# on screen while the model is still writing (APPLIED not yet shown, no "action done" in the
# server log). If STATUS is set, it must show (the progress, in the status line) before the edit
# arrives. Then the edit must show (APPLIED on screen; with FAILS=1, APPLIED is the error Helix
# shows, and the server must log the failure), the driver writes the file (:w) and quits.
# Exit status 0 iff every step passed; each step prints PASS, FAIL or NOTE.
#
# Environment: LINE, ACTION, ACTION_ID, APPLIED, SERVER_LOG (the server's --log-file); optional
# TYPED, STATUS, FAILS, TIMEOUT (s, for each wait).
set -euo pipefail

HX=$1
WORK=$2
LINE=${LINE:?}
ACTION=${ACTION:?}
ACTION_ID=${ACTION_ID:?}
APPLIED=${APPLIED:?}
SERVER_LOG=${SERVER_LOG:?}
TYPED=${TYPED:-}
STATUS=${STATUS:-}
FAILS=${FAILS:-0}
TIMEOUT=${TIMEOUT:-10}
SOCK=$WORK/tmux.sock
SESSION=hx
FAIL=0

command -v tmux >/dev/null || { echo "FAIL: tmux not found (./scripts/test installs it)"; exit 2; }

tm() { tmux -S "$SOCK" "$@"; }
capture() { tm capture-pane -p -t "$SESSION" 2>/dev/null || true; }
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAIL=1; }
now_ms() { date +%s%3N; }
START=$(now_ms)
stamp() { echo "$(($(now_ms) - START)) ms"; }
wait_pane() { # $1 fixed string, $2 seconds
  local i
  for ((i = 0; i < ${2:-$TIMEOUT} * 20; i++)); do
    capture | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  return 1
}
wait_log() { # $1 regex in the server log
  local i
  for ((i = 0; i < TIMEOUT * 20; i++)); do
    grep -qE -- "$1" "$SERVER_LOG" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
in_log() { grep -qE -- "$1" "$SERVER_LOG" 2>/dev/null; }
# shellcheck disable=SC2317,SC2329  # used by the EXIT trap
cleanup() { tm kill-server 2>/dev/null || true; }
trap cleanup EXIT

echo "helix: $("$HX" --version)"
ENV=(env "XDG_CONFIG_HOME=$WORK/config" "XDG_CACHE_HOME=$WORK/cache" "HOME=$WORK")
# -f /dev/null: never read the user's tmux config. The shell keeps the pane after hx exits.
tm -f /dev/null new-session -d -s "$SESSION" -x 120 -y 30 -c "$WORK/proj" \
  "$(printf '%q ' "${ENV[@]}" "$HX" main.py); echo \"hx exited rc=\$?\"; sleep 30"

if wait_log 'initialize client=Some\("helix"\)'; then
  pass "switchboard initialized by helix"
else
  fail "switchboard was never initialized"; capture; tail -20 "$SERVER_LOG" 2>/dev/null
  exit 1
fi
wait_pane "def total" || { fail "main.py not shown"; capture; exit 1; }

tm send-keys -t "$SESSION" -l ":$LINE"
tm send-keys -t "$SESSION" Enter
sleep 0.1
tm send-keys -t "$SESSION" g s # first non-blank of the line
sleep 0.1
if [ "${SELECT_LINE:-0}" = 1 ]; then
  # The whole line, so the selection overlaps a diagnostic anywhere on it (Helix passes on the
  # diagnostics that overlap the selection).
  tm send-keys -t "$SESSION" x
  sleep 0.1
fi
# The server may not have the document yet (didOpen follows `initialized`): Helix then says "No
# code actions available", and the user asks again.
MENU=0
for ((attempt = 1; attempt <= TIMEOUT; attempt++)); do
  tm send-keys -t "$SESSION" Space a
  if wait_pane "$ACTION" 1; then MENU=1; break; fi
  echo "NOTE: no \"$ACTION\" 1 s after <space>a (attempt $attempt): $(capture | tail -1 | tr -s ' ')"
done
if ((MENU)); then
  pass "the code-action menu lists \"$ACTION\" ($(stamp))"
else
  fail "no \"$ACTION\" in the code-action menu"; capture
  exit 1
fi
capture > "$WORK/screen-menu.txt"
# The menu's entries in the order shown; the first is selected.
mapfile -t ENTRIES < <(grep -o 'AI: .*' "$WORK/screen-menu.txt" | sed 's/[│ ]*$//')
printf 'menu entry: %s\n' "${ENTRIES[@]}"
INDEX=-1
for i in "${!ENTRIES[@]}"; do
  if [[ ${ENTRIES[$i]} == *"$ACTION"* ]]; then INDEX=$i; break; fi
done
((INDEX >= 0)) || { fail "cannot find \"$ACTION\" among the menu's entries"; exit 1; }
for ((i = 0; i < INDEX; i++)); do
  tm send-keys -t "$SESSION" Down
  sleep 0.05
done
sleep 0.1
tm send-keys -t "$SESSION" Enter
CHOSEN=$(now_ms)
if [ -n "$TYPED" ]; then
  # At once, elsewhere in the file: the last line, a new line below it.
  tm send-keys -t "$SESSION" g e
  tm send-keys -t "$SESSION" o
  tm send-keys -t "$SESSION" -l "$TYPED"
  tm send-keys -t "$SESSION" Escape
fi
if wait_log "action started.*action=\"?$ACTION_ID\b"; then
  pass "the server started the $ACTION_ID action ($(stamp))"
else
  fail "the server never started the $ACTION_ID action"; capture
  exit 1
fi
if [ -n "$TYPED" ]; then
  if wait_pane "$TYPED"; then
    capture > "$WORK/screen-typed.txt"
    done_yet=0
    in_log 'action done' && done_yet=1
    if grep -qF -- "$APPLIED" "$WORK/screen-typed.txt" || ((done_yet)); then
      fail "the typed text showed only once the edit had arrived (done in the log: $done_yet)"
    else
      pass "typed text shown $(($(now_ms) - CHOSEN)) ms after choosing the action, while the model writes"
    fi
  else
    fail "the typed text \"$TYPED\" never showed"; capture
  fi
fi
if [ -n "$STATUS" ]; then
  if wait_pane "$STATUS"; then
    capture > "$WORK/screen-progress.txt"
    if grep -qF -- "$APPLIED" "$WORK/screen-progress.txt"; then
      echo "NOTE: the progress showed only with the edit"
    else
      pass "the progress shows in the status line while the model writes"
    fi
  else
    fail "the status line never showed \"$STATUS\""; capture
  fi
fi
if wait_pane "$APPLIED"; then
  pass "\"$APPLIED\" shows $(($(now_ms) - CHOSEN)) ms after choosing the action"
else
  fail "\"$APPLIED\" never showed"; capture
fi
wait_log 'action done|action failed|action cancelled' || true
sleep 0.2 # the progress's end, and any message, reach the status line
capture > "$WORK/screen-applied.txt"
if ((FAILS)); then
  in_log 'action failed' || fail "the server does not say the action failed"
elif in_log 'action failed'; then
  fail "the server says the action failed"
fi
if [ -n "$TYPED" ]; then
  # The typed line must still be there; Esc was sent long ago, so a key now is not Alt+key.
  grep -qF -- "$TYPED" "$WORK/screen-applied.txt" || fail "the typed text is gone after the edit"
fi
tm send-keys -t "$SESSION" -l ":w"
tm send-keys -t "$SESSION" Enter
if wait_pane "written"; then
  pass "file written"
else
  fail "no 'written' message"; capture
fi
capture > "$WORK/screen-written.txt"
tm send-keys -t "$SESSION" -l ":q!"
tm send-keys -t "$SESSION" Enter
if wait_pane "hx exited rc=0"; then
  pass "hx quit"
else
  fail "hx did not quit"; capture
fi
exit "$FAIL"
