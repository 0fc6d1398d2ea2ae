#!/usr/bin/env bash
# strata run --isolation wasm hello.wasm next to the same module run directly
# on the same engine (a minimal node:wasi runner), and next to strata's
# process sandbox running the native hello. Per engine present (here: Node.js).
# Written to bench/WASM.md and spliced into bench/RESULTS.md.
#
#   bench/wasm.sh [PATH/TO/strata]      knobs: RUNS (20), WARMUP (3), QUIET_WAIT (180)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNS="${RUNS:-20}"
WARMUP="${WARMUP:-3}"
# shellcheck source=lib.sh
source "$here/lib.sh"

for tool in hyperfine python3 clang-19 node cc; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps deps-bench)"
done
strata="$(realpath "${1:-$here/../build/src/strata}")"
[[ -x "$strata" ]] || die "no strata binary at '$strata'"
strata_q="$(printf '%q' "$strata")"

# Node reads NODE_EXTRA_CA_CERTS at start (~30 ms for a CA bundle); strata
# gives the engine only PATH, TERM, LANG and HOME. The same for every side:
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
mkdir -p "$here/out"
tmp="$(mktemp -d "$here/out/wasm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/hello.c" <<'EOF'
#include <stdio.h>
int main(int argc, char** argv) {
  printf("hello from %s\n", argc > 1 ? argv[1] : "wasm");
  return 0;
}
EOF
clang-19 --target=wasm32-wasi --sysroot=/usr -fuse-ld=lld -O2 -o "$tmp/hello.wasm" "$tmp/hello.c"
cc -O2 -o "$tmp/hello" "$tmp/hello.c"
# The direct run: the shortest node:wasi runner, in the same style as
# strata's (CommonJS, synchronous compile; an ES module runner with
# top-level await costs ~20 ms more in Node's ESM loader).
cat >"$tmp/direct.cjs" <<'EOF'
'use strict';
const { readFileSync } = require('node:fs');
const { WASI } = require('node:wasi');
const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), wasi.getImportObject());
process.exitCode = wasi.start(instance);
EOF
"$strata" run --isolation wasm -- "$tmp/hello.wasm" >/dev/null || die "strata cannot run the module"
engine="$(node --version)"
{
  printf 'strata_wasm\tstrata run --isolation wasm (Node %s, in the sandbox)\t%s\n' "$engine" \
    "$strata_q run --isolation wasm -- $tmp/hello.wasm"
  printf 'strata_wasm_nosandbox\tstrata run --isolation wasm --no-sandbox\t%s\n' \
    "$strata_q run --isolation wasm --no-sandbox -- $tmp/hello.wasm"
  printf 'direct\tnode direct.cjs hello.wasm (the same engine, no strata)\t%s\n' \
    "$(command -v node) --no-warnings $tmp/direct.cjs $tmp/hello.wasm"
  printf 'sandbox_native\tstrata run (default sandbox), native hello\t%s\n' \
    "$strata_q run --ro-bind $tmp/hello:/hello -- /hello"
  printf 'bare_native\tnative hello, bare\t%s\n' "$tmp/hello"
} >"$tmp/wasm.commands"
session wasm "$RUNS"
python3 "$here/report.py" wasm --json "$tmp/wasm.json" --commands "$tmp/wasm.commands" --strata "$strata" \
  --runs "$RUNS" --warmup "$WARMUP" --load "$(cat "$tmp/wasm.load")" --quiet-note "$(cat "$tmp/wasm.quiet")" \
  --tmp "$tmp" --out "$here/WASM.md"
python3 "$here/report.py" splice --out "$here/RESULTS.md" --section wasm --file "$here/WASM.md"
cp "$tmp/wasm.json" "$here/out/wasm.json"
say "wrote $here/WASM.md and its section of $here/RESULTS.md"
grep -E '^\*\*Target' "$here/WASM.md" >&2 || true
