#!/usr/bin/env bash
# The cost of each added layer for the same workload (python3 importing a
# package from a local wheel): host, venv, sandbox, sandbox+venv, container,
# container+venv in one session; vm, vm+sandbox, vm+container in a second
# (each of those boots a guest: seconds under TCG). Also the cost of reusing
# a cached venv: `strata run --isolation venv -- /bin/true` minus `strata run
# --isolation host -- /bin/true`, strata's own lookup with no Python start. Written to bench/LAYERS.md and spliced into
# bench/RESULTS.md.
#
#   bench/layers.sh [PATH/TO/strata [PYTHON_IMAGE_LAYOUT]]
#   knobs: RUNS (20), VM_RUNS (5), WARMUP (2), QUIET_WAIT (180)
# PYTHON_IMAGE_LAYOUT: an OCI layout of Debian with python3-venv (the test
# fixture build/fixtures/debian-python-oci); without one the container rows
# are left out, and the report says so.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# One python3 for every row: a pyenv-style shim early on PATH is a shell
# script that costs ~70 ms per start on the host and is invisible inside a
# sandbox, which would make the rows incomparable.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUNS="${RUNS:-20}"
VM_RUNS="${VM_RUNS:-5}"
WARMUP="${WARMUP:-2}"
# shellcheck source=lib.sh
source "$here/lib.sh"

for tool in hyperfine python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps deps-bench)"
done
strata="$(realpath "${1:-$here/../build/src/strata}")"
[[ -x "$strata" ]] || die "no strata binary at '$strata'"
layout="${2:-$here/../build/fixtures/debian-python-oci}"
mkdir -p "$here/out"
tmp="$(mktemp -d "$here/out/layers.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export STRATA_HOME="$tmp/home"

# A pure-Python wheel (no index reaches these machines) and the project.
python3 - "$tmp/wheels" <<'PY'
import sys, zipfile, pathlib
out = pathlib.Path(sys.argv[1]); out.mkdir(parents=True)
with zipfile.ZipFile(out / "stratabench-1.0-py3-none-any.whl", "w") as z:
    z.writestr("stratabench/__init__.py", "VERSION = '1.0'\n")
    z.writestr("stratabench-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: stratabench\nVersion: 1.0\n")
    z.writestr("stratabench-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("stratabench-1.0.dist-info/RECORD", "")
PY
mkdir -p "$tmp/project"
echo "stratabench==1.0" >"$tmp/project/requirements.txt"
lang=(--requirements "$tmp/project/requirements.txt" --find-links "$tmp/wheels")
script="import sys; import stratabench; print(sys.prefix)"
host_script="import sys; print(sys.prefix)"  # the host has no stratabench: the rows without a venv import nothing

image=""
if [[ -f "$layout/.strata-complete" ]]; then
  image="$("$strata" image import --json --tag debian-python:12 "$layout" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["tag"])')" || die "cannot import $layout"
fi
q() { printf '%q ' "$@"; }
s="$(q "$strata")"
# Prepare (and check) every venv once, outside the timing.
for layers in venv sandbox+venv ${image:+container+venv}; do
  extra=()
  [[ "$layers" == container* ]] && extra=(--image "$image")
  "$strata" run --isolation "$layers" "${extra[@]}" "${lang[@]}" -- python3 -c "$script" >/dev/null ||
    die "strata run --isolation $layers failed"
done
{
  printf 'host_true\tstrata run --isolation host -- /bin/true\t%s\n' "$s$(q run --isolation host -- /bin/true)"
  printf 'venv_true\tstrata run --isolation venv -- /bin/true (cached)\t%s\n' \
    "$s$(q run --isolation venv "${lang[@]}" -- /bin/true)"
  printf 'bare\tpython3 directly\t%s\n' "$(q python3 -c "$host_script")"
  printf 'host\tstrata run --isolation host\t%s\n' "$s$(q run --isolation host -- python3 -c "$host_script")"
  printf 'venv\tstrata run --isolation venv (cached)\t%s\n' "$s$(q run --isolation venv "${lang[@]}" -- python3 -c "$script")"
  printf 'sandbox\tstrata run --isolation sandbox\t%s\n' "$s$(q run --isolation sandbox -- python3 -c "$host_script")"
  printf 'sandbox_venv\tstrata run --isolation sandbox+venv (cached)\t%s\n' \
    "$s$(q run --isolation sandbox+venv "${lang[@]}" -- python3 -c "$script")"
  if [[ -n "$image" ]]; then
    printf 'container\tstrata run --isolation container (Debian + python3)\t%s\n' \
      "$s$(q run --image "$image" -- python3 -c "$host_script")"
    printf 'container_venv\tstrata run --isolation container+venv (cached)\t%s\n' \
      "$s$(q run --isolation container+venv --image "$image" "${lang[@]}" -- python3 -c "$script")"
  fi
} >"$tmp/layers.commands"
session layers "$RUNS"

if [[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ]] && command -v qemu-system-x86_64 >/dev/null; then
  {
    printf 'vm\tstrata run --isolation vm\t%s\n' "$s$(q run --isolation vm -- python3 -c "$host_script")"
    printf 'vm_sandbox\tstrata run --isolation vm+sandbox\t%s\n' \
      "$s$(q run --isolation vm+sandbox -- python3 -c "$host_script")"
    if [[ -n "$image" ]]; then
      printf 'vm_container\tstrata run --isolation vm+container (Debian + python3)\t%s\n' \
        "$s$(q run --isolation vm+container --image "$image" -- python3 -c "$host_script")"
    fi
  } >"$tmp/vm_layers.commands"
  session vm_layers "$VM_RUNS"
fi

python3 "$here/report.py" layers --tmp "$tmp" --strata "$strata" --runs "$RUNS" --vm-runs "$VM_RUNS" \
  --warmup "$WARMUP" --image "${image:-}" --out "$here/LAYERS.md"
python3 "$here/report.py" splice --out "$here/RESULTS.md" --section layers --file "$here/LAYERS.md"
cp "$tmp"/*.json "$here/out/" 2>/dev/null || true
say "wrote $here/LAYERS.md and its section of $here/RESULTS.md"
grep -E '^\*\*Target' "$here/LAYERS.md" >&2 || true
