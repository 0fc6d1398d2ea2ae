# shellcheck shell=bash
# shellcheck disable=SC2154 # $here and $tmp come from the script that sources this
# Shared by run.sh and static_link.sh (sourced). Expects $here (bench/), $tmp (a
# scratch directory) and WARMUP; the knobs below may be set in the environment.
QUIET_WAIT="${QUIET_WAIT:-180}"
QUIET_BUSY="${QUIET_BUSY:-15}"
SESSION_MAX_OTHER="${SESSION_MAX_OTHER:-20}"
SESSION_TRIES="${SESSION_TRIES:-3}"

die() {
  echo "bench: $*" >&2
  exit 1
}
say() { echo "== $*" >&2; }

# Waits (at most QUIET_WAIT s) for the machine to be idle; prints what it found.
wait_quiet() {
  local busy waited=0
  busy="$(python3 "$here/report.py" busy)"
  while ((busy > QUIET_BUSY && waited < QUIET_WAIT)); do
    say "machine is ${busy}% busy; waiting for it to drop to ${QUIET_BUSY}% (${waited}/${QUIET_WAIT} s)"
    sleep 4
    waited=$((waited + 5))
    busy="$(python3 "$here/report.py" busy)"
  done
  if ((busy > QUIET_BUSY)); then
    echo "machine still ${busy}% busy after waiting ${waited} s: figures are disturbed by other work"
  else
    echo "machine ${busy}% busy in the second before the session (waited ${waited} s)"
  fi
}

# session NAME RUNS: one hyperfine session over the commands in $tmp/NAME.commands
# (lines of key<TAB>label<TAB>command; the report pairs them with the results by
# order), results in $tmp/NAME.json, the other load during it in $tmp/NAME.load.
# A session during which other processes used more than SESSION_MAX_OTHER % of
# the CPUs is run again (SESSION_TRIES in all); the least disturbed one is kept.
# If $tmp/NAME.prepare exists, its lines are the commands' --prepare commands,
# one a line in the same order (hyperfine runs each before every run of its command).
session() { # name runs [shell]: with "shell", hyperfine runs the commands through sh
  local name="$1" runs="$2" shell_mode="${3:-}" note try load best=""
  local -a cmds=() prepare=()
  while IFS=$'\t' read -r _key _label command; do
    cmds+=("$command")
  done <"$tmp/$name.commands"
  if [[ -f "$tmp/$name.prepare" ]]; then
    while IFS= read -r command; do
      prepare+=(--prepare "$command")
    done <"$tmp/$name.prepare"
  fi
  for ((try = 1; try <= SESSION_TRIES; try++)); do
    note="$(wait_quiet)"
    say "$note"
    say "$name session (try $try of $SESSION_TRIES): $runs runs of each of ${#cmds[@]} commands"
    python3 "$here/report.py" cpustat >"$tmp/cpu.before"
    times >"$tmp/times.before"
    hyperfine $([[ "$shell_mode" == shell ]] || echo -N) --style basic --warmup "$WARMUP" --runs "$runs" --export-json "$tmp/try.json" "${prepare[@]}" "${cmds[@]}" \
      </dev/null >&2
    times >"$tmp/times.after"
    python3 "$here/report.py" cpustat >"$tmp/cpu.after"
    python3 "$here/report.py" other-load "$tmp"/{cpu.before,cpu.after,times.before,times.after} >"$tmp/try.load"
    load="$(cut -d'%' -f1 "$tmp/try.load")"
    say "$(cat "$tmp/try.load")"
    if [[ -z "$best" ]] || python3 -c "import sys; sys.exit(not $load < $best)"; then
      best="$load"
      mv "$tmp/try.json" "$tmp/$name.json"
      echo "$(cat "$tmp/try.load") (try $try of at most $SESSION_TRIES)" >"$tmp/$name.load"
      echo "$note" >"$tmp/$name.quiet"
    fi
    if python3 -c "import sys; sys.exit(not $load <= $SESSION_MAX_OTHER)"; then
      break
    fi
    say "other processes used more than $SESSION_MAX_OTHER% of the CPUs during the $name session"
  done
}
