#!/usr/bin/env bash
# helix_driver.sh: drives a real Helix in a private tmux server for tests/e2e/helix.rs.
#
#   helix_driver.sh HX WORK
#
# WORK holds config/helix/{languages,config}.toml (written by the test, with switchboard as the
# python server), proj/main.py, and receives cache/, screens and driver.log. The driver opens
# main.py, goes to line 6, appends (A) and types "ret"; Helix asks for completions by itself as
# the user types, and the menu must show the AI item (EXPECT). If it isn't there within
# AUTO_WAIT seconds the driver presses C-x (Helix's manual completion) and says so. It then
# accepts the item (Tab, Enter), writes the file and quits. Exit status 0 iff every step passed.
#
# Environment: EXPECT (text of the item), SERVER_LOG (the server's --log-file), TIMEOUT (s),
# KEYS (typed after A; default "ret"; empty: nothing is typed, so only C-x asks).
# EXPECT_ERROR: instead of accepting an item, press C-x, see this text in the status line,
# type a key (which clears Helix's message), press C-x again and see it again; then quit.
set -euo pipefail

HX=$1
WORK=$2
EXPECT=${EXPECT:?}
SERVER_LOG=${SERVER_LOG:?}
TIMEOUT=${TIMEOUT:-10}
AUTO_WAIT=${AUTO_WAIT:-3}
KEYS=${KEYS-ret}
SOCK=$WORK/tmux.sock
SESSION=hx
FAIL=0

command -v tmux >/dev/null || { echo "FAIL: tmux not found (./scripts/test installs it)"; exit 2; }

tm() { tmux -S "$SOCK" "$@"; }
capture() { tm capture-pane -p -t "$SESSION" 2>/dev/null || true; }
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAIL=1; }
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
  fail "switchboard was never initialized"; capture; cat "$SERVER_LOG" 2>/dev/null | tail -20
  exit 1
fi
wait_pane "def square" || { fail "main.py not shown"; capture; exit 1; }
sleep 0.3 # let didOpen reach the server before the first edit

tm send-keys -t "$SESSION" -l ":6"
tm send-keys -t "$SESSION" Enter
sleep 0.2
tm send-keys -t "$SESSION" A
sleep 0.2
[ -n "$KEYS" ] && tm send-keys -t "$SESSION" -l "$KEYS"
if [ -n "${EXPECT_ERROR:-}" ]; then
  sleep 0.5
  for round in 1 2; do
    tm send-keys -t "$SESSION" C-x
    if wait_pane "$EXPECT_ERROR"; then
      pass "C-x shows the failure in the status line (round $round)"
    else
      fail "C-x did not show \"$EXPECT_ERROR\" (round $round)"; capture
    fi
    capture > "$WORK/screen-error-$round.txt"
    tm send-keys -t "$SESSION" -l " "
    sleep 0.5
    capture > "$WORK/screen-after-key-$round.txt"
  done
  tm send-keys -t "$SESSION" Escape
  sleep 0.5
  tm send-keys -t "$SESSION" -l ":q!"
  tm send-keys -t "$SESSION" Enter
  wait_pane "hx exited rc=0" || { fail "hx did not quit"; capture; }
  exit "$FAIL"
fi
if wait_pane "$EXPECT" "$AUTO_WAIT"; then
  pass "completion menu shows the AI item while typing (auto-completion)"
else
  echo "NOTE: no AI item ${AUTO_WAIT}s after typing; pressing C-x"
  capture > "$WORK/screen-before-cx.txt"
  tm send-keys -t "$SESSION" C-x
  if wait_pane "$EXPECT"; then
    pass "completion menu shows the AI item after C-x"
  else
    fail "no AI item in the completion menu"; capture
    exit 1
  fi
fi
capture > "$WORK/screen-menu.txt"
grep -F -- "AI" "$WORK/screen-menu.txt" >/dev/null || echo "NOTE: the menu does not show the detail"

tm send-keys -t "$SESSION" Tab
sleep 0.3
tm send-keys -t "$SESSION" Enter
sleep 0.3
tm send-keys -t "$SESSION" Escape
sleep 0.5 # an ESC followed too quickly by a key reads as Alt+key
capture > "$WORK/screen-accepted.txt"
tm send-keys -t "$SESSION" -l ":w"
tm send-keys -t "$SESSION" Enter
if wait_pane "written"; then
  pass "file written"
else
  fail "no 'written' message"; capture
fi
tm send-keys -t "$SESSION" -l ":q!"
tm send-keys -t "$SESSION" Enter
if wait_pane "hx exited rc=0"; then
  pass "hx quit"
else
  fail "hx did not quit"; capture
fi
exit "$FAIL"
