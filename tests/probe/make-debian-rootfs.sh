#!/usr/bin/env bash
# ctest fixture: a Debian 12 minbase tree made by debootstrap, for the probe
# tests to probe with --root. Reused when a complete one is already there.
# Exits 77 (ctest: skipped) when this machine cannot make one (no debootstrap,
# not root, no mirror); the tests that need it then skip and say why.
#   make-debian-rootfs.sh DIR [MIRROR]
set -uo pipefail
dir=$1
mirror=${2:-http://deb.debian.org/debian}
if [ -f "$dir/.strata-complete" ]; then
  echo "reusing $dir"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  echo "SKIP: debootstrap is not installed"
  exit 77
fi
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: debootstrap needs root"
  exit 77
fi
rm -rf "$dir.partial"
mkdir -p "$(dirname "$dir")"
if ! timeout 900 debootstrap --variant=minbase bookworm "$dir.partial" "$mirror" >"$dir.log" 2>&1; then
  echo "SKIP: debootstrap --variant=minbase bookworm from $mirror failed (no network?); see $dir.log"
  tail -5 "$dir.log"
  rm -rf "$dir.partial"
  exit 77
fi
touch "$dir.partial/.strata-complete"
rm -rf "$dir"
mv "$dir.partial" "$dir"
echo "made $dir"
