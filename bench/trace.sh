#!/usr/bin/env bash
# strata trace's overhead on a syscall-heavy workload, next to the untraced
# run and strace -f; strata analyze on /usr/bin next to ldd and lddtree.
# Written to bench/TRACE.md and spliced into bench/RESULTS.md.
#
#   bench/trace.sh [PATH/TO/strata]      knobs: RUNS (10), WARMUP (2), QUIET_WAIT (180)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNS="${RUNS:-10}"
WARMUP="${WARMUP:-2}"
# shellcheck source=lib.sh
source "$here/lib.sh"

for tool in hyperfine python3 strace ldd lddtree; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps-bench installs strace and pax-utils)"
done
/usr/bin/python3 /usr/bin/lddtree /bin/true >/dev/null || die "lddtree does not run with /usr/bin/python3 (python3-pyelftools?)"
strata="$(realpath "${1:-$here/../build/src/strata}")"
[[ -x "$strata" ]] || die "no strata binary at '$strata'"
strata_q="$(printf '%q' "$strata")"

mkdir -p "$here/out"
tmp="$(mktemp -d "$here/out/trace.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Syscall-heavy: find walks /usr/share (a getdents64 and an fstat per
# directory, a newfstatat per file) and stat(1) runs statx on every file,
# in a few dozen execs. In the sandbox (no capabilities) a 0700 directory
# owned by another user (polkit's rules.d) is unreadable: find's complaint
# and its status 1 are not the point.
workload='find /usr/share -type f -exec stat -c %s {} + 2>/dev/null || true'
files="$(find /usr/share -type f | wc -l)"
dirs="$(find /usr/share -type d | wc -l)"
"$strata" trace --isolation host --out "$tmp/needs.json" -- sh -c "$workload" >/dev/null
stops="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['trace']['stops'])" "$tmp/needs.json")"
{
  printf 'bare\tthe bare command\t%s\n' "sh -c '$workload'"
  printf 'run_host\tstrata run, host\t%s\n' "$strata_q run --isolation host -- sh -c '$workload'"
  printf 'trace_host\tstrata trace, host\t%s\n' "$strata_q trace --isolation host --out /dev/null -- sh -c '$workload'"
  printf 'trace_all\tstrata trace --all-syscalls, host\t%s\n' \
    "$strata_q trace --isolation host --all-syscalls --out /dev/null -- sh -c '$workload'"
  printf 'strace\tstrace -f\t%s\n' "strace -f -o /dev/null sh -c '$workload'"
  printf 'run_sandbox\tstrata run, default sandbox\t%s\n' "$strata_q run -- sh -c '$workload'"
  printf 'trace_sandbox\tstrata trace, default sandbox\t%s\n' "$strata_q trace --out /dev/null -- sh -c '$workload'"
} >"$tmp/trace.commands"
# The same ELF files for each: every regular file in /usr/bin (analyze skips
# scripts' and data's contents the same way ldd and lddtree complain about them).
{
  printf 'analyze\tstrata analyze /usr/bin\t%s\n' "$strata_q analyze --json /usr/bin"
  printf 'ldd\tldd /usr/bin/*\t%s\n' "sh -c 'ldd /usr/bin/* >/dev/null 2>&1'"
  # lddtree is a Python script needing pyelftools (python3-pyelftools): run it with
  # Debian's python3, not whatever python3 comes first in PATH (a pyenv one lacks it).
  printf 'lddtree\tlddtree /usr/bin/*\t%s\n' "sh -c '/usr/bin/python3 /usr/bin/lddtree /usr/bin/* >/dev/null 2>&1'"
} >"$tmp/analyze.commands"
note="$(wait_quiet)"
say "$note"
mapfile -t cmds < <(cut -f3 "$tmp/trace.commands")
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$tmp/trace.json" "${cmds[@]}" \
  </dev/null >&2
# analyze exits 1 when a library is missing somewhere in /usr/bin; ldd 1 on non-ELF files.
mapfile -t cmds < <(cut -f3 "$tmp/analyze.commands")
hyperfine -N -i --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$tmp/analyze.json" "${cmds[@]}" \
  </dev/null >&2
python3 "$here/report.py" trace --json "$tmp/trace.json" --commands "$tmp/trace.commands" \
  --analyze-json "$tmp/analyze.json" --analyze-commands "$tmp/analyze.commands" --strata "$strata" \
  --runs "$RUNS" --warmup "$WARMUP" --workload "$workload" \
  --workload-note "$files files in $dirs directories; strata trace stops $stops times on it (the rest is the baseline)" \
  --quiet-note "$note" --out "$here/TRACE.md"
python3 "$here/report.py" splice --out "$here/RESULTS.md" --section trace --file "$here/TRACE.md"
cp "$tmp/trace.json" "$here/out/trace.json"
say "wrote $here/TRACE.md and its section of $here/RESULTS.md"
grep -E '^\*\*Target' "$here/TRACE.md" >&2 || true
