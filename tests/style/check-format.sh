#!/usr/bin/env bash
# Fails when a C/C++ source under src/ or tests/ differs from .clang-format.
set -euo pipefail
root=${1:-$(git rev-parse --show-toplevel)}
cd "$root"
format=$(command -v clang-format-19 || command -v clang-format || true)
if [ -z "$format" ]; then
  echo "SKIP: clang-format not installed (make deps installs clang-format-19)"
  exit 77
fi
mapfile -t files < <(find src tests -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h' | sort)
bad=0
for f in "${files[@]}"; do
  if ! "$format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: $format -i $f)"
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "clang-format: ${#files[@]} files clean"
exit "$bad"
