#!/usr/bin/env bash
# strata probe / strata diff timing, next to inxi (a peer doing a shallower
# hardware/system inventory), written to bench/PROBE.md and spliced into
# bench/RESULTS.md.
#
#   bench/probe.sh [PATH/TO/strata]      knobs: RUNS (100), WARMUP (10), QUIET_WAIT (180)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNS="${RUNS:-100}"
WARMUP="${WARMUP:-10}"
# shellcheck source=lib.sh
source "$here/lib.sh"

for tool in hyperfine python3 inxi; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps-bench installs it)"
done
strata="$(realpath "${1:-$here/../build/src/strata}")"
[[ -x "$strata" ]] || die "no strata binary at '$strata'"
strata_q="$(printf '%q' "$strata")"

mkdir -p "$here/out"
tmp="$(mktemp -d "$here/out/probe.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$strata" probe --json -o "$tmp/a.json"
# B: the same machine with one library, one package and the glibc version
# changed, so the diff has real work to judge.
python3 - "$tmp/a.json" "$tmp/b.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
system = m["layers"].get("system", {})
system.setdefault("libc.version", {"value": "2.36", "source": "x"})["value"] = "2.31"
for key in [k for k in system if k.startswith("library.")][:1]:
    del system[key]
for key in [k for k in system if k.startswith("package.")][:1]:
    system[key]["value"] = {"version": "0.0-bench", "arch": "amd64"}
json.dump(m, open(sys.argv[2], "w"))
PY
facts="$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sum(len(f) for f in m['layers'].values()))" "$tmp/a.json")"
{
  printf 'probe\tstrata probe --json (all layers)\t%s\n' "$strata_q probe --json"
  printf 'probe_system\tstrata probe --json --layer system\t%s\n' "$strata_q probe --json --layer system"
  printf 'diff\tstrata diff A B (two manifests)\t%s\n' "$strata_q diff --json $tmp/a.json $tmp/b.json"
  printf 'inxi\tinxi -F --output json\t%s\n' "inxi --tty -F --output json --output-file print"
} >"$tmp/probe.commands"
# strata diff exits 1 when something matters (it does here): tell hyperfine.
SESSION_TRIES=1
note="$(wait_quiet)"
say "$note"
mapfile -t cmds < <(cut -f3 "$tmp/probe.commands")
hyperfine -N -i --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$tmp/probe.json" "${cmds[@]}" \
  </dev/null >&2
python3 "$here/report.py" probe --json "$tmp/probe.json" --commands "$tmp/probe.commands" --facts "$facts" \
  --strata "$strata" --runs "$RUNS" --warmup "$WARMUP" --quiet-note "$note" --out "$here/PROBE.md"
python3 "$here/report.py" splice --out "$here/RESULTS.md" --section probe --file "$here/PROBE.md"
cp "$tmp/probe.json" "$here/out/probe.json"
say "wrote $here/PROBE.md and its section of $here/RESULTS.md"
grep -E '^\*\*Target' "$here/PROBE.md" >&2 || true
