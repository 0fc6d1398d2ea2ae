#!/usr/bin/env bash
# Runs clang-tidy over the library and CLI sources with the build's compile
# database; any finding fails the test.
set -uo pipefail
root=$1
build=$2
tidy=$(command -v clang-tidy-19 || true)
if [ -z "$tidy" ]; then
  echo "SKIP: clang-tidy-19 not installed (clang-tidy 14 cannot parse std::expected)"
  exit 77
fi
cd "$root" || exit 1
mapfile -t files < <(find src -name '*.cpp' | sort)
# Two processes at a time: CI machines have two cores.
if ! out=$(printf '%s\n' "${files[@]}" | xargs -P 2 -n 4 "$tidy" -p "$build" --quiet 2>&1); then
  grep -v 'warnings generated' <<<"$out"
  exit 1
fi
echo "clang-tidy: ${#files[@]} files clean"
