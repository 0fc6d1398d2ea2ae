#!/usr/bin/env bash
# Sandbox start-up benchmark: strata vs bubblewrap, written to bench/RESULTS.md.
#
#   bench/run.sh [PATH/TO/strata]     (default: ../build/src/strata from this directory)
#
# Knobs (environment): RUNS (300) and WARMUP (20) for the main session;
# BREAKDOWN=0 skips the second session of variants, BREAKDOWN_RUNS (200);
# HARDENING=0 skips the seccomp/Landlock cost session, HARDENING_RUNS (200);
# PROFILE=0 skips the perf profile, PROFILE_RUNS (300);
# QUIET_WAIT (180): seconds to wait at most for the machine to be idle
# (QUIET_BUSY, 15: percent of all CPUs busy that counts as idle);
# SESSION_MAX_OTHER (20): a timing session during which other processes used
# more than this percent of the CPUs is run again, SESSION_TRIES (3) in all.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/out"
RUNS="${RUNS:-300}"
WARMUP="${WARMUP:-20}"
BREAKDOWN="${BREAKDOWN:-1}"
BREAKDOWN_RUNS="${BREAKDOWN_RUNS:-200}"
HARDENING="${HARDENING:-1}"
HARDENING_RUNS="${HARDENING_RUNS:-200}"
PROFILE="${PROFILE:-1}"
PROFILE_RUNS="${PROFILE_RUNS:-300}"
PERF_PERIOD=50000 # cpu-clock sample every 50 µs of CPU time
# shellcheck source=lib.sh
source "$here/lib.sh"

# ---- what is needed -----------------------------------------------------------------
for tool in hyperfine bwrap python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      hyperfine) die "hyperfine not found: install it (Debian: apt-get install hyperfine)" ;;
      bwrap) die "bwrap not found: install bubblewrap (Debian: apt-get install bubblewrap)" ;;
      python3) die "python3 not found: it is needed to read hyperfine's JSON (apt-get install python3)" ;;
    esac
  fi
done

strata_arg="${1:-$here/../build/src/strata}"
[[ -e "$strata_arg" ]] || die "no strata binary at '$strata_arg' (build it, or pass its path as the first argument)"
strata="$(realpath "$strata_arg")"
[[ -x "$strata" ]] || die "'$strata' is not executable"
# hyperfine -N splits commands like a shell: quote the path if it needs it.
strata_q="$(printf '%q' "$strata")"

if ! "$strata" run -- /bin/true </dev/null; then
  die "'$strata run -- /bin/true' failed: strata cannot start a sandbox here (user namespaces disabled?)"
fi
if ! bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true </dev/null; then
  die "bwrap cannot start a sandbox here (user namespaces disabled?)"
fi

mkdir -p "$out"
tmp="$(mktemp -d "$out/run.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# ---- the main session ----------------------------------------------------------------------
{
  printf 'bare\tbare /bin/true\t%s\n' "/bin/true"
  printf 'bwrap\tbwrap, new netns (default)\t%s\n' "bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true"
  printf 'strata\tstrata, new netns (default)\t%s\n' "$strata_q run -- /bin/true"
  printf 'bwrap_nonet\tbwrap, host network\t%s\n' "bwrap --unshare-all --share-net --die-with-parent --ro-bind / / /bin/true"
  printf 'strata_nonet\tstrata, host network\t%s\n' "$strata_q run --share net -- /bin/true"
} >"$tmp/main.commands"
session main "$RUNS"

report_args=(
  --out "$here/RESULTS.md" --strata "$strata"
  --main-json "$tmp/main.json" --main-commands "$tmp/main.commands"
  --runs "$RUNS" --warmup "$WARMUP"
  --main-load "$(cat "$tmp/main.load")" --quiet-note "$(cat "$tmp/main.quiet")"
)

# ---- where the time goes: variants that each leave out one part -----------------------------
if [[ "$BREAKDOWN" != 0 ]]; then
  layout="--ro-bind /usr /usr --ro-bind /etc /etc"
  for link in bin sbin lib lib32 lib64 libx32; do
    if [[ -L "/$link" ]]; then
      layout+=" --symlink $(readlink "/$link") /$link"
    elif [[ -d "/$link" ]]; then
      layout+=" --ro-bind /$link /$link"
    fi
  done
  layout+=" --proc /proc --dev /dev --tmpfs /tmp --hostname strata"
  {
    printf 'bare\tbare /bin/true\t%s\n' "/bin/true"
    printf 'bwrap_version\tbwrap start only\t%s\n' "bwrap --version"
    printf 'dry_run\tstrata start only (parse, plan, no process)\t%s\n' "$strata_q run --dry-run -- /bin/true"
    printf 'host\tstrata without sandbox\t%s\n' "$strata_q run --isolation host -- /bin/true"
    printf 'user_mount\tstrata, user + mount namespaces only (with --share pid: + a cgroup and its janitor)\t%s\n' \
      "$strata_q run --share net --share pid --share ipc --share uts --share cgroup -- /bin/true"
    for ns in net pid ipc uts cgroup; do
      note=""
      [[ "$ns" == pid ]] && note=" (+ a cgroup and its janitor, so daemons die with a SIGKILLed strata)"
      printf 'share_%s\tstrata, all but a new %s namespace%s\t%s\n' "$ns" "$ns" "$note" "$strata_q run --share $ns -- /bin/true"
    done
    printf 'strata\tstrata default\t%s\n' "$strata_q run -- /bin/true"
    printf 'bwrap\tbwrap default\t%s\n' "bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true"
    printf 'bwrap_layout\tbwrap with strata'"'"'s layout\t%s\n' \
      "bwrap --unshare-all --die-with-parent $layout /bin/true"
  } >"$tmp/breakdown.commands"
  session breakdown "$BREAKDOWN_RUNS"
  report_args+=(--breakdown-json "$tmp/breakdown.json" --breakdown-commands "$tmp/breakdown.commands"
    --breakdown-runs "$BREAKDOWN_RUNS" --breakdown-load "$(cat "$tmp/breakdown.load")")
fi

# ---- what the default hardening costs: seccomp and Landlock on and off, bwrap with the same filter ----
if [[ "$HARDENING" != 0 ]]; then
  gen="$(dirname "$strata")/strata-gen-seccomp"
  [[ -x "$gen" ]] || die "no strata-gen-seccomp next to '$strata' (it is built with strata)"
  "$gen" --bpf "$tmp/default.bpf"
  bwrap_base="bwrap --unshare-all --die-with-parent --ro-bind / /"
  {
    printf 'bare_sandbox\tstrata, no seccomp, no Landlock\t%s\n' "$strata_q run --seccomp unconfined --landlock off -- /bin/true 2>/dev/null"
    printf 'seccomp_only\tstrata, seccomp only\t%s\n' "$strata_q run --landlock off -- /bin/true 2>/dev/null"
    printf 'landlock_only\tstrata, Landlock only\t%s\n' "$strata_q run --seccomp unconfined -- /bin/true 2>/dev/null"
    printf 'strata\tstrata default (seccomp + Landlock)\t%s\n' "$strata_q run -- /bin/true"
    printf 'bwrap\tbwrap, no filter\t%s\n' "$bwrap_base /bin/true"
    printf 'bwrap_seccomp\tbwrap with strata'"'"'s default filter\t%s\n' "$bwrap_base --seccomp 9 /bin/true 9<$tmp/default.bpf"
  } >"$tmp/hardening.commands"
  session hardening "$HARDENING_RUNS" shell
  report_args+=(--hardening-json "$tmp/hardening.json" --hardening-commands "$tmp/hardening.commands"
    --hardening-runs "$HARDENING_RUNS" --hardening-load "$(cat "$tmp/hardening.load")")
fi

# ---- where the time goes: CPU profile -------------------------------------------------------------
if [[ "$PROFILE" != 0 ]]; then
  if ! command -v perf >/dev/null 2>&1; then
    report_args+=(--perf-note "Not measured: \`perf\` is not installed (Debian: apt-get install linux-perf).")
  elif ! perf record -q -a -e cpu-clock -e sched:sched_process_fork -o "$tmp/probe.data" -- /bin/true >/dev/null 2>&1; then
    report_args+=(--perf-note "Not measured: \`perf record -a -e cpu-clock -e sched:sched_process_fork\` does not work on this machine.")
  else
    profile() { # name command...
      local name="$1"
      shift
      say "$(wait_quiet)"
      say "profile: $PROFILE_RUNS runs of $name under perf"
      # Machine-wide (-a), to see the kernel threads' deferred work too; the
      # loop writes its pid so that perf_breakdown.py can find its processes.
      # shellcheck disable=SC2016 # the loop is expanded by the inner bash
      perf record -q -a -e "cpu-clock/period=$PERF_PERIOD/" -e sched:sched_process_fork -g \
        -o "$tmp/perf.$name.data" -- \
        bash -c 'echo $$ >"$0"; for ((i = 0; i < $1; i++)); do "${@:2}" </dev/null || exit 1; done' \
        "$tmp/perf.$name.root" "$PROFILE_RUNS" "$@" >/dev/null
      perf script -i "$tmp/perf.$name.data" 2>/dev/null |
        python3 "$here/perf_breakdown.py" --root "$(cat "$tmp/perf.$name.root")" >"$out/perf.$name.json"
    }
    profile strata "$strata" run -- /bin/true
    profile bwrap bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true
    report_args+=(--perf-strata "$out/perf.strata.json" --perf-bwrap "$out/perf.bwrap.json"
      --perf-runs "$PROFILE_RUNS" --perf-period "$PERF_PERIOD")
  fi
fi

python3 "$here/report.py" write "${report_args[@]}"
cp "$tmp/main.json" "$out/main.json"
if [[ -f "$tmp/hardening.json" ]]; then
  cp "$tmp/hardening.json" "$out/hardening.json"
fi
if [[ -f "$tmp/breakdown.json" ]]; then
  cp "$tmp/breakdown.json" "$out/breakdown.json"
fi
say "wrote $here/RESULTS.md"
grep -E '^\*\*Target' "$here/RESULTS.md" >&2 || true
