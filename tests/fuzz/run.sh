#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19 (g++ has no libFuzzer and
# clang-14 cannot compile std::expected) and runs each for a few seconds.
#   tests/fuzz/run.sh [SECONDS] [OUTDIR]     (make test: 5 s each; make fuzz: longer)
#   FUZZ_TARGETS="wasm wasm_module" tests/fuzz/run.sh 10    (only those targets)
# Crashes are kept in tests/fuzz/regressions/<target>/ and replayed first.
set -euo pipefail
seconds=${1:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${2:-$root/build/fuzz}
clang=$(command -v clang++-19 || true)
if [ -z "$clang" ] || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' | "$clang" -x c++ -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "SKIP: clang++-19 with libFuzzer (clang-19, libclang-rt-19-dev) is not installed"
  exit 77
fi
mkdir -p "$out"
# Scratch space for the unpack target's extractions (emptied after each input).
export STRATA_FUZZ_DIR="$out/unpack-scratch"
rm -rf "$STRATA_FUZZ_DIR" && mkdir -p "$STRATA_FUZZ_DIR"
flags=(-std=c++2b -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$root/src")
declare -A sources=(
  [seccomp_profile]="src/isolate/sandbox/seccomp.cpp src/isolate/sandbox/seccomp_profile.cpp src/isolate/sandbox/seccomp_verify.cpp src/isolate/sandbox/bpf_run.cpp src/base/error.cpp"
  [seccomp_semantics]="src/isolate/sandbox/seccomp.cpp src/isolate/sandbox/seccomp_profile.cpp src/isolate/sandbox/seccomp_verify.cpp src/isolate/sandbox/bpf_run.cpp src/base/error.cpp"
  [probe_formats]="src/probe/sys_ld_cache.cpp src/probe/sys_packages.cpp src/probe/sys_os_release.cpp src/probe/sys_fs.cpp src/probe/sys_text.cpp src/probe/root.cpp src/probe/manifest.cpp src/probe/manifest_reader.cpp src/base/fds.cpp src/base/error.cpp"
  [oci]="src/image/oci.cpp src/image/digest.cpp src/base/sha256.cpp src/base/error.cpp"
  [unpack]="src/image/unpack.cpp src/image/unpack_entry.cpp src/image/digest.cpp src/base/fds.cpp src/base/sha256.cpp src/base/log.cpp src/base/error.cpp"
  [parsers]="src/base/parse.cpp src/base/error.cpp src/spec/parse_flags.cpp src/spec/hardening_flags.cpp"
  [elf]="src/analyze/elf_file.cpp src/analyze/elf_versions.cpp src/analyze/elf_notes.cpp src/analyze/script.cpp src/analyze/versions.cpp src/diff/version.cpp src/base/error.cpp"
  [needs]="src/check/needs.cpp src/check/check.cpp src/check/rules_hardware.cpp src/check/rules_kernel.cpp src/check/rules_system.cpp src/check/rules_language.cpp src/check/rules_wasm.cpp src/check/verdict.cpp src/check/render_text.cpp src/check/render_json.cpp src/diff/version.cpp src/probe/manifest.cpp src/probe/hw_cpuinfo.cpp src/probe/sys_text.cpp src/probe/root.cpp src/base/fds.cpp src/base/parse.cpp src/base/error.cpp"
  [wasm]="src/analyze/wasm.cpp src/analyze/wasm_cursor.cpp src/analyze/wasm_render.cpp src/base/error.cpp"
  [mountinfo]="src/isolate/cgroup/layout.cpp src/isolate/cgroup/cgroupfs.cpp src/base/error.cpp src/base/parse.cpp src/base/log.cpp"
  [wasm_module]="src/wasm/module.cpp src/analyze/wasm.cpp src/analyze/wasm_cursor.cpp src/base/error.cpp"
  [envfile]="src/envfile/load.cpp src/envfile/values.cpp src/envfile/keys_top.cpp src/envfile/mounts.cpp src/envfile/sections.cpp src/envfile/sections_layers.cpp src/envfile/toml_impl.cpp src/envfile/precheck.cpp src/spec/parse_flags.cpp src/spec/hardening_flags.cpp src/wasm/engine.cpp src/wasm/engine_cache.cpp src/base/runtime_dir.cpp src/base/parse.cpp src/base/files.cpp src/base/fds.cpp src/base/log.cpp src/base/error.cpp"
)
declare -A libs=([seccomp_profile]="-lseccomp -lfmt" [seccomp_semantics]="-lseccomp -lfmt" [parsers]="-lcap" [mountinfo]="-lfmt" [probe_formats]="-lfmt" [oci]="-lfmt -lnettle" [unpack]="-larchive -lfmt -lnettle" [elf]="-lelf -lfmt" [needs]="-lfmt" [wasm]="-lfmt" [wasm_module]="-lfmt" [envfile]="-lcap -lfmt")
status=0
targets=${FUZZ_TARGETS:-seccomp_profile seccomp_semantics parsers mountinfo probe_formats oci unpack elf wasm needs wasm_module envfile}
for target in $targets; do
  if [ -z "${sources[$target]:-}" ]; then
    echo "FAIL: no fuzz target '$target'"
    status=1
    continue
  fi
  binary="$out/${target}_fuzz"
  # shellcheck disable=SC2086 # word lists on purpose
  (cd "$root" && "$clang" "${flags[@]}" "tests/fuzz/${target}_fuzz.cpp" ${sources[$target]} ${libs[$target]} -o "$binary")
  corpus="$out/corpus-$target"
  regressions="$root/tests/fuzz/regressions/$target"
  mkdir -p "$corpus" "$regressions"
  seeds=()
  [ "$target" = seccomp_profile ] && seeds+=("$root/tests/data/seccomp")
  [ "$target" = mountinfo ] && seeds+=("$root/tests/data/cgroup")
  [ "$target" = probe_formats ] && seeds+=("$root/tests/fuzz/seeds/probe_formats")
  [ "$target" = oci ] && seeds+=("$root/tests/fuzz/seeds/oci")
  [ "$target" = unpack ] && seeds+=("$root/tests/fuzz/seeds/unpack")
  [ "$target" = elf ] && seeds+=("$root/tests/fuzz/seeds/elf")
  [ "$target" = wasm ] && seeds+=("$root/tests/fuzz/seeds/wasm")
  [ "$target" = needs ] && seeds+=("$root/tests/fuzz/seeds/needs")
  [ "$target" = wasm_module ] && seeds+=("$root/tests/fuzz/seeds/wasm_module")
  [ "$target" = envfile ] && seeds+=("$root/tests/fuzz/seeds/envfile")
  if ! "$binary" -max_total_time="$seconds" -timeout=10 -artifact_prefix="$regressions/" \
      "$corpus" "$regressions" "${seeds[@]}" >"$out/$target.log" 2>&1; then
    echo "FAIL: $target (see $out/$target.log; the input is kept in $regressions/)"
    tail -20 "$out/$target.log"
    status=1
  else
    echo "ok: $target ($(grep -Eo 'Done [0-9]+ runs' "$out/$target.log" | tail -1))"
  fi
done
exit "$status"
