#!/usr/bin/env bash
# Experiment: how much of strata's start-up is dynamic linking? Relinks the
# objects of an existing CMake build several ways and times each against bwrap;
# writes bench/STATIC_LINK.md. Changes nothing outside bench/out/.
#
#   bench/static_link.sh [BUILD_DIR]   (default: ../build-bench from this directory;
#                                       a Release build is the fair comparison)
#
# Needs the build's object files (BUILD_DIR/src/CMakeFiles/strata.dir/cli/*.o and
# BUILD_DIR/src/libstrata.a), g++, libcap.a (libcap-dev) and fmt's headers (fmt 9,
# whose src/format.cc is rebuilt here because Debian ships no libfmt.a).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(realpath "${1:-$here/../build-bench}")"
RUNS="${RUNS:-300}"
WARMUP="${WARMUP:-20}"
# shellcheck source=lib.sh
source "$here/lib.sh"

objs=("$build"/src/CMakeFiles/strata.dir/cli/*.o)
lib="$build/src/libstrata.a"
[[ -f "${objs[0]}" && -f "$lib" ]] || die "no strata objects under $build/src (build strata there first)"
[[ -x "$build/src/strata" ]] || die "no $build/src/strata"
for tool in g++ hyperfine bwrap python3; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
libcap_a="$(g++ -print-file-name=libcap.a)"
[[ -f "$libcap_a" ]] || die "libcap.a not found (apt-get install libcap-dev)"
grep -q '#define FMT_VERSION 9' /usr/include/fmt/core.h 2>/dev/null || die "needs fmt 9 headers in /usr/include/fmt"

work="$here/out/static"
mkdir -p "$work"
tmp="$(mktemp -d "$here/out/static.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cat >"$work/fmt_format.cc" <<'EOF'
// fmt 9's src/format.cc: the library's compiled part, from the installed headers.
#include <fmt/format-inl.h>
FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void buffer<char>::append(const char*, const char*);
template FMT_API void vformat_to(buffer<char>&, string_view, basic_format_args<FMT_BUFFER_CONTEXT(char)>, locale_ref);
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<wchar_t>;
template FMT_API auto decimal_point_impl(locale_ref) -> wchar_t;
template FMT_API void buffer<wchar_t>::append(const wchar_t*, const wchar_t*);
}  // namespace detail
FMT_END_NAMESPACE
EOF
g++ -O2 -std=c++20 -c "$work/fmt_format.cc" -o "$work/fmt_format.o"

# link NAME RETRY-EXTRA FLAGS...: links the objects; if that fails (the objects
# want fmt's compiled part), again with RETRY-EXTRA added.
link() {
  local name="$1" extra="$2"
  shift 2
  g++ -O2 "${objs[@]}" "$lib" "$@" -o "$work/$name" 2>/dev/null ||
    g++ -O2 "${objs[@]}" "$lib" "$extra" "$@" -o "$work/$name"
}
variants=(strata-as-built strata-dynamic strata-static-cxx strata-static-pie strata-static)
cp "$build/src/strata" "$work/strata-as-built"
link strata-dynamic "-lfmt" -lcap
link strata-static-cxx "$work/fmt_format.o" -lcap -static-libstdc++ -static-libgcc
link strata-static-pie "$work/fmt_format.o" "$libcap_a" -static-pie
link strata-static "$work/fmt_format.o" "$libcap_a" -static
for b in "${variants[@]}"; do
  "$work/$b" run -- /bin/true </dev/null || die "$b does not run"
done

{
  for b in "${variants[@]}"; do
    printf '%s\t%s\t%s\n' "start_$b" "$b start only" "$work/$b run --dry-run -- /bin/true"
  done
  printf 'bwrap_version\tbwrap start only\t%s\n' "bwrap --version"
  for b in "${variants[@]}"; do
    printf '%s\t%s\t%s\n' "$b" "$b" "$work/$b run -- /bin/true"
  done
  printf 'bwrap\tbwrap default\t%s\n' "bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true"
} >"$tmp/static.commands"
session static "$RUNS"
cp "$tmp/static.json" "$work/static.json"

python3 - "$work/static.json" "$here/STATIC_LINK.md" "$build" "$RUNS" "$WARMUP" "$work" "$(cat "$tmp/static.load")" <<'EOF'
import datetime, json, os, subprocess, sys
src, dst, build, runs, warmup, work, load = sys.argv[1:]
results = json.loads(open(src).read())["results"]
def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    libs = [l.split("[")[1].rstrip("]") for l in out.splitlines() if "(NEEDED)" in l]
    return ", ".join(libs) or "none (static)"
sys.path.insert(0, os.path.dirname(dst))
from report import link_kind
bins = {
    "strata-as-built": f"copied from the build ({link_kind(os.path.join(work, 'strata-as-built'))})",
    "strata-dynamic": "everything shared",
    "strata-static-cxx": "libstdc++, libgcc and fmt linked in; libc and libcap shared",
    "strata-static-pie": "-static-pie",
    "strata-static": "-static",
}
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
out = ["# Experiment: strata linked statically\n",
       f"Generated by `bench/static_link.sh` on {now}, from the objects of `{build}`. The same object files "
       "linked several ways; one hyperfine session "
       f"(`-N --warmup {warmup} --runs {runs}`), wall-clock milliseconds. During it, {load}.\n",
       "| binary | how it is linked | shared libraries |", "|---|---|---|"]
for b, how in bins.items():
    size = os.path.getsize(os.path.join(work, b)) / 1e6
    out.append(f"| {b} | {how}, {size:.1f} MB | {needed(os.path.join(work, b))} |")
out += ["", "| command | mean ± σ | median | min |", "|---|---:|---:|---:|"]
for r in results:
    cmd = r["command"].replace(work + "/", "")
    out.append(f"| `{cmd}` | {r['mean']*1e3:.2f} ± {r['stddev']*1e3:.2f} | {r['median']*1e3:.2f} | {r['min']*1e3:.2f} |")
bw = results[-1]["mean"]
out.append("")
nb = len(bins)
for r in results[nb + 1 : 2 * nb + 1]:
    name = r["command"].replace(work + "/", "").split()[0]
    out.append(f"- {name}: strata/bwrap = {r['mean'] / bw:.2f} (by mean), {r['median'] / results[-1]['median']:.2f} (by median)")
out.append("")
open(dst, "w").write("\n".join(out))
EOF
echo "wrote $here/STATIC_LINK.md" >&2
