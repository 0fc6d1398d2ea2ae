#!/usr/bin/env bash
# ctest fixture: an OCI image layout of Debian 12 with python3 and python3-venv
# (`python3 -m venv` works, pip comes from Debian's bundled wheels), for the
# layered-environment tests. It copies the probe tests' minbase tree (the
# debian_rootfs fixture) and installs python3-venv into the copy with apt-get
# in a chroot, which is several times faster than a second debootstrap; then
# packs the tree as one layer with umoci. Reused when a complete one is already
# there; never leaves a half-made one. Exits 77 (ctest: skipped) when this
# machine cannot make one (no umoci, not root, no minbase tree, no mirror); the
# tests that need it then skip and say why.
#   make-python-image.sh OUT MINBASE [MIRROR]
set -uo pipefail
out=$1
minbase=$2
mirror=${3:-http://deb.debian.org/debian}
# The layout's ref name; `strata image import --tag` names it in a store.
ref=debian-python-12

if [ -f "$out/.strata-complete" ]; then
  echo "reusing $out"
  exit 0
fi
for tool in umoci chroot tar; do
  if ! command -v $tool >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: installing packages into a chroot needs root"
  exit 77
fi
if [ ! -f "$minbase/.strata-complete" ]; then
  echo "SKIP: no Debian minbase tree at $minbase (the fixture.debian_rootfs fixture makes it)"
  exit 77
fi

work=$out.partial
log=$out.log
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
: >"$log"
start=$SECONDS

# Runs a step with its output in the log; on failure says why and skips.
step() {
  local what=$1
  shift
  echo "== $what (at $((SECONDS - start)) s)" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "SKIP: $what failed; see $log"
    tail -5 "$log"
    exit 77
  fi
}

root=$work/rootfs
# Its contents into a fresh directory: the minbase tree may be a symlink (a
# shared tree), which `cp -a DIR` would copy as the link and the steps below
# would then change the shared tree itself.
mkdir "$root"
step "copy $minbase" cp -a "$minbase/." "$root/"
rm -f "$root/.strata-complete" "$root"/var/cache/apt/archives/*.deb
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
saved_resolv=$(cat "$root/etc/resolv.conf")
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
  DEBIAN_FRONTEND=noninteractive)
step "apt-get update from $mirror (no network?)" timeout 300 "${in_root[@]}" apt-get update --error-on=any
step "apt-get install python3-venv" timeout 300 "${in_root[@]}" apt-get install -y --no-install-recommends python3-venv
printf '%s\n' "$saved_resolv" >"$root/etc/resolv.conf"

# What a container never reads: package lists and archives, docs, logs.
"${in_root[@]}" apt-get clean
rm -rf "${root:?}"/var/lib/apt/lists/* "${root:?}"/usr/share/doc/* "${root:?}"/usr/share/man/* \
  "${root:?}"/usr/share/info/* "${root:?}"/usr/share/locale/* "${root:?}"/var/cache/debconf/*-old \
  "${root:?}"/var/log/* "${root:?}"/dev/*

# One layer, owners as numbers (the tree's ids are the image's).
(cd "$root" && ls -A) >"$work/entries"
step "tar the tree" tar --numeric-owner --xattrs --sort=name -C "$root" -cf "$work/layer.tar" -T "$work/entries"
oci=$work/oci
step "umoci init" umoci init --layout "$oci"
step "umoci new" umoci new --image "$oci:$ref"
step "umoci raw add-layer" umoci raw add-layer --image "$oci:$ref" \
  --history.created_by "tests/layers/make-python-image.sh" "$work/layer.tar"
step "umoci config" umoci config --image "$oci:$ref" --config.cmd /usr/bin/python3 \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env LANG=C.UTF-8
step "umoci gc" umoci gc --layout "$oci"

# umoci writes its blobs 0600; tests that do not run as root read them too.
chmod -R a+rX "$oci"
touch "$oci/.strata-complete"
rm -rf "$out"
mv "$oci" "$out"
echo "made $out in $((SECONDS - start)) s ($(du -sh "$out" | cut -f1))"
