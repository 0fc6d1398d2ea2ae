#!/usr/bin/env bash
# Container start-up and image unpack: strata next to runc, podman and umoci,
# written to bench/CONTAINER.md and spliced into bench/RESULTS.md.
#
#   bench/container.sh [PATH/TO/strata]     (default: ../build/src/strata from this directory)
#
# 1. Start-up: one hyperfine session over the same busybox rootfs (an OCI
#    layout built here with umoci from /bin/busybox): `strata run --image`,
#    `runc run` of a bundle `umoci unpack` made from that layout, and `podman
#    run --rm` of the same layout loaded into a private storage.
# 2. Import and unpack of a Debian minbase tree made into a one-layer OCI
#    layout: `strata image import` and the first `strata run` (which unpacks
#    the layer) against `umoci unpack`, the trees written to a fresh ext4 on a
#    loop device and then to the host's filesystem (UNPACK_FS, see below).
#
# Needs root (runc and podman run rootful here), hyperfine, python3, umoci,
# runc, podman, /bin/busybox (busybox-static), and mkfs.ext4 and a loop
# device for UNPACK_FS=loop. Knobs (environment): RUNS (50) and WARMUP (5)
# for the start-up session; IMPORT_RUNS (5) and IMPORT_WARMUP (1) for the
# unpack sessions; UNPACK_FS ("loop host"); DEBIAN_ROOTFS (the tree to
# unpack, default ../build/fixtures/debian-bookworm, made with
# tests/probe/make-debian-rootfs.sh when missing); QUIET_WAIT, QUIET_BUSY,
# SESSION_MAX_OTHER, SESSION_TRIES as in run.sh (each unpack session is run
# once: the kernel's writeback of what it writes counts as "other" load).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNS="${RUNS:-50}"
WARMUP="${WARMUP:-5}"
IMPORT_RUNS="${IMPORT_RUNS:-5}"
IMPORT_WARMUP="${IMPORT_WARMUP:-1}"
DEBIAN_ROOTFS="${DEBIAN_ROOTFS:-$here/../build/fixtures/debian-bookworm}"
# The ulimits podman's defaults exceed on this kind of machine (see ../shared/PEERS.md).
ULIMITS="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
# shellcheck source=lib.sh
source "$here/lib.sh"

# ---- what is needed -----------------------------------------------------------------
[[ "$(id -u)" == 0 ]] || die "needs root: runc and podman are run rootful"
for tool in hyperfine python3 umoci runc podman; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps-bench installs it)"
done
((RUNS >= 2 && IMPORT_RUNS >= 2)) || die "RUNS and IMPORT_RUNS must be at least 2 (for a standard deviation)"
[[ -x /bin/busybox ]] || die "/bin/busybox not found (apt-get install busybox-static)"
strata_arg="${1:-$here/../build/src/strata}"
[[ -e "$strata_arg" ]] || die "no strata binary at '$strata_arg' (build it, or pass its path as the first argument)"
strata_origin="$(realpath "$strata_arg")"
[[ -x "$strata_origin" ]] || die "'$strata_origin' is not executable"

mkdir -p "$here/out"
tmp="$(mktemp -d "$here/out/container.XXXXXX")"
# The binary is copied first, so that a rebuild while the script runs does
# not change what is timed halfway through.
cp -p "$strata_origin" "$tmp/strata"
strata="$tmp/strata"
id="strata-bench-$$"
# Every peer keeps its state under $tmp: strata's store, runc's state
# directory, podman's storage and run root.
runc_state="$tmp/runc-state"
podman=(podman --root "$tmp/podman/root" --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp"
  --storage-driver overlay --runtime runc --cgroup-manager=cgroupfs --events-backend none)
cleanup() {
  set +e
  runc --root "$runc_state" delete -f "$id" >/dev/null 2>&1
  if [[ -d "$tmp/podman/root" ]]; then
    "${podman[@]}" rm -a -f >/dev/null 2>&1
    "${podman[@]}" rmi -a -f >/dev/null 2>&1
    "${podman[@]}" system reset -f >/dev/null 2>&1
  fi
  # Anything still mounted below $tmp (podman's overlay storage), deepest first.
  findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r | while read -r mnt; do umount -l "$mnt"; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the busybox image, one layout for all three -------------------------------------
say "building the busybox OCI layout"
(
  cd "$tmp"
  umoci init --layout oci
  umoci new --image oci:bench
  umoci unpack --image oci:bench build >/dev/null
  r=build/rootfs
  mkdir -p $r/bin $r/etc $r/dev $r/proc $r/sys $r/tmp $r/root
  cp /bin/busybox $r/bin/busybox
  for a in sh true ls id env pwd cat echo; do ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >$r/etc/passwd
  printf 'root:x:0:\n' >$r/etc/group
  chmod 1777 $r/tmp
  umoci repack --image oci:bench build
  umoci config --image oci:bench --config.cmd /bin/sh --config.env PATH=/bin
  rm -rf build
) >&2

# strata: a private store, the layer unpacked before timing (warm). The
# timed runs find it through STRATA_HOME in hyperfine's environment.
export STRATA_HOME="$tmp/strata-home"
"$strata" image import "$tmp/oci" --ref bench --tag bench >&2
"$strata" run --image bench -- /bin/true </dev/null ||
  die "'strata run --image bench -- /bin/true' failed"

# runc: umoci's bundle, whose config.json is replaced by `runc spec` with
# terminal false and args /bin/true. `runc run ID` (no --detach) deletes the
# container when it exits, so every run can reuse the same ID.
umoci unpack --image "$tmp/oci:bench" "$tmp/bundle" >/dev/null
rm "$tmp/bundle/config.json"
runc spec --bundle "$tmp/bundle"
python3 - "$tmp/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["process"]["terminal"] = False
config["process"]["args"] = ["/bin/true"]
json.dump(config, open(path, "w"), indent=2)
PY
runc_cmd="runc --root $runc_state run --bundle $tmp/bundle $id"
$runc_cmd </dev/null || die "'$runc_cmd' failed"

# podman: the same layout, as an oci-archive (a tar of the directory: `podman
# pull oci:DIR` names the image after DIR, which fails on an upper-case
# letter), loaded into a private storage (overlay driver) as localhost/bench.
tar -C "$tmp/oci" -cf "$tmp/oci.tar" .
"${podman[@]}" load -q -i "$tmp/oci.tar" >&2
podman_cmd="${podman[*]} run --rm --pull never --network none $ULIMITS localhost/bench:latest /bin/true"
$podman_cmd </dev/null || die "'$podman_cmd' failed"
# crun, podman's usual runtime: is it usable here? Record what it says.
if command -v crun >/dev/null 2>&1; then
  if crun_out="$(${podman_cmd/--runtime runc/--runtime crun} 2>&1 </dev/null)"; then
    crun_note="podman --runtime crun works here too"
  else
    crun_note="podman --runtime crun fails here: \`$(tail -1 <<<"$crun_out")\`"
  fi
else
  crun_note="crun is not installed; ../shared/PEERS.md reports it refuses this hybrid-cgroup host"
fi

# ---- session 1: start-up on the same rootfs ------------------------------------------------------
strata_q="$(printf '%q' "$strata")"
{
  printf 'strata\tstrata run --image (overlay with a writable layer per run, no network)\t%s\n' \
    "$strata_q run --image bench -- /bin/true"
  printf 'strata_ro\tstrata run --image --read-only (no writable layer)\t%s\n' \
    "$strata_q run --image bench --read-only -- /bin/true"
  printf 'strata_rootfs\tstrata run --rootfs on the bundle'"'"'s tree (no image, no overlay)\t%s\n' \
    "$strata_q run --rootfs $tmp/bundle/rootfs -- /bin/true"
  printf 'runc\trunc run (bundle from umoci unpack, runc spec, read-only root)\t%s\n' "$runc_cmd"
  printf 'podman\tpodman run --rm with runc, overlay storage, no network\t%s\n' "$podman_cmd"
} >"$tmp/start.commands"
session start "$RUNS"

# ---- session 2: import and unpack of a Debian minbase tree ---------------------------------------
if [[ ! -f "$DEBIAN_ROOTFS/.strata-complete" ]]; then
  say "no Debian tree at $DEBIAN_ROOTFS: debootstrapping one"
  DEBIAN_ROOTFS="$here/out/debian-bookworm"
  "$here/../tests/probe/make-debian-rootfs.sh" "$DEBIAN_ROOTFS" >&2 || die "could not make a Debian tree"
fi
DEBIAN_ROOTFS="$(realpath "$DEBIAN_ROOTFS")"
say "building a one-layer OCI layout of $DEBIAN_ROOTFS"
(cd "$tmp" && umoci init --layout deb && umoci new --image deb:deb && umoci insert --image deb:deb "$DEBIAN_ROOTFS" /) >&2
layer="$(python3 - "$tmp/deb" <<'PY'
import json, sys
from pathlib import Path
root = Path(sys.argv[1])
def blob(digest):
    return root / "blobs" / "sha256" / digest.split(":")[1]
manifest = json.loads(blob(json.loads((root / "index.json").read_text())["manifests"][0]["digest"]).read_text())
(only,) = manifest["layers"]
print(f"{only['size'] / 1e6:.1f} MB {only['mediaType'].rsplit('.', 1)[-1]}")
PY
)"
tree="$(du -sm --apparent-size "$DEBIAN_ROOTFS" | cut -f1) MB, $(find "$DEBIAN_ROOTFS" | wc -l) entries"
# Where the unpacked trees go, one session each (UNPACK_FS, default "loop host"):
#   loop: a fresh ext4 (mkfs.ext4 defaults, with a journal) on a loop device, made
#         for the session, so that the figures do not depend on the state of
#         the host's filesystem;
#   host: $TMP itself on the host's filesystem. On a machine whose root is ext4
#         without a journal (this CI VM's: no jbd2 entry for it), every run
#         pays for the inodes the runs before deleted: without a journal, ext4's
#         inode allocator skips inodes deleted in the last 60 s (360 s while
#         their inode table block is dirty) and reads an inode table block to
#         check each one (recently_deleted() in fs/ext4/ialloc.c), which shows
#         up as system time of whichever unpacker runs next.
clear_cmd() { printf 'rm -rf %s && sync\n' "$1"; }
journal_note() { # path: whether its filesystem has a jbd2 journal
  local dev
  dev="$(basename "$(findmnt -no SOURCE -T "$1")")"
  if compgen -G "/proc/fs/jbd2/$dev-*" >/dev/null; then
    echo "with a jbd2 journal"
  else
    echo "without a journal: no entry for $dev in /proc/fs/jbd2"
  fi
}
unpack_session() { # fs: sets up the session's directory, checks strata on it, times
  local fs="$1" base imp strata_imp
  base="$tmp/unpack-$fs"
  mkdir -p "$base"
  if [[ "$fs" == loop ]]; then
    truncate -s 4G "$tmp/unpack-loop.img"
    # Inode tables and journal written now, not by ext4lazyinit during the session.
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$tmp/unpack-loop.img"
    mount -o loop "$tmp/unpack-loop.img" "$base"
    echo "a fresh 4 GB ext4 on a loop device (a sparse file under \`\$TMP\`) made for this session by" \
      "\`mkfs.ext4\` (defaults, inode tables initialised up front; $(journal_note "$base"))" >"$tmp/unpack_$fs.desc"
  else
    echo "the host's filesystem under \`\$TMP\` ($(findmnt -no FSTYPE,OPTIONS -T "$base"); $(journal_note "$base"))" \
      >"$tmp/unpack_$fs.desc"
  fi
  imp="$base/import-home"
  strata_imp="env STRATA_HOME=$imp $strata_q"
  {
    printf 'strata_import\tstrata image import (copies and checks the blobs)\t%s\n' \
      "$strata_imp image import $tmp/deb --tag deb"
    printf 'strata_unpack\tfirst strata run --image after the import (unpacks the layer, then runs /bin/true)\t%s\n' \
      "$strata_imp run --image deb -- /bin/true"
    printf 'strata\tstrata image import + first strata run\t%s\n' \
      "$strata_imp image import $tmp/deb --tag deb && $strata_imp run --image deb -- /bin/true"
    printf 'umoci\tumoci unpack (rootfs, config.json and mtree manifest)\t%s\n' \
      "umoci unpack --image $tmp/deb:deb $base/umoci-bundle"
    printf 'umoci_raw\tumoci raw unpack (rootfs only)\t%s\n' "umoci raw unpack --image $tmp/deb:deb $base/umoci-rootfs"
  } >"$tmp/unpack_$fs.commands"
  {
    clear_cmd "$imp"
    printf 'rm -rf %s && %s image import %s --tag deb >/dev/null && sync\n' "$imp" "$strata_imp" "$tmp/deb"
    clear_cmd "$imp"
    clear_cmd "$base/umoci-bundle"
    clear_cmd "$base/umoci-rootfs"
  } >"$tmp/unpack_$fs.prepare"
  # Check strata once before timing (hyperfine would only say "non-zero exit").
  bash -c "$(clear_cmd "$imp") && $strata_imp image import $tmp/deb --tag deb >/dev/null && $strata_imp run --image deb -- /bin/true" ||
    die "strata could not import and run the Debian image"
  compgen -G "$imp/layers/sha256/*/usr/bin/dpkg" >/dev/null || die "strata's unpacked layer lacks usr/bin/dpkg"
  SESSION_TRIES=1 WARMUP="$IMPORT_WARMUP" session "unpack_$fs" "$IMPORT_RUNS" shell
  rm -rf "$imp" "$base/umoci-bundle" "$base/umoci-rootfs"
  if [[ "$fs" == loop ]]; then
    umount "$base"
    rm "$tmp/unpack-loop.img"
  fi
}
UNPACK_FS="${UNPACK_FS:-loop host}"
unpack_args=()
for fs in $UNPACK_FS; do
  [[ "$fs" == loop || "$fs" == host ]] || die "UNPACK_FS: unknown '$fs' (loop or host)"
  unpack_session "$fs"
  unpack_args+=(--unpack "$fs" "$(cat "$tmp/unpack_$fs.desc")")
done

# ---- the report ----------------------------------------------------------------------------------
python3 "$here/report.py" container --out "$here/CONTAINER.md" --strata "$strata" --strata-origin "$strata_origin" \
  --start-json "$tmp/start.json" --start-commands "$tmp/start.commands" --runs "$RUNS" --warmup "$WARMUP" \
  --start-load "$(cat "$tmp/start.load")" --start-quiet "$(cat "$tmp/start.quiet")" \
  --session-dir "$tmp" "${unpack_args[@]}" --unpack-runs "$IMPORT_RUNS" --unpack-warmup "$IMPORT_WARMUP" \
  --tree "$DEBIAN_ROOTFS ($tree; the layer: $layer)" --crun-note "$crun_note" \
  --tmp "$tmp"
python3 "$here/report.py" splice --out "$here/RESULTS.md" --section container --file "$here/CONTAINER.md"
cp "$tmp/start.json" "$here/out/container.start.json"
for fs in $UNPACK_FS; do
  cp "$tmp/unpack_$fs.json" "$here/out/container.unpack_$fs.json"
done
say "wrote $here/CONTAINER.md and its section of $here/RESULTS.md"
grep -E '^\*\*Target' "$here/CONTAINER.md" >&2 || true
