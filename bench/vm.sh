#!/usr/bin/env bash
# strata run --isolation vm -- /bin/true next to the bare QEMU invocation it
# builds: the same QEMU command line (taken from strata's --dry-run), the same
# kernel, the same modules, virtiofsd serving the root; but a busybox init
# that only loads the modules, mounts the root and runs /bin/true, and no
# strata on either side (no initramfs build, no channel, no Job, no relay).
# Written to bench/VM.md and spliced into bench/RESULTS.md.
#
#   bench/vm.sh [PATH/TO/strata]      knobs: RUNS (10), WARMUP (1), QUIET_WAIT (180)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNS="${RUNS:-10}"
WARMUP="${WARMUP:-1}"
# shellcheck source=lib.sh
source "$here/lib.sh"

for tool in hyperfine python3 qemu-system-x86_64 busybox cpio modprobe; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps deps-bench)"
done
virtiofsd=/usr/lib/qemu/virtiofsd
[[ -x "$virtiofsd" ]] || die "no $virtiofsd (qemu-system-common)"
strata="$(realpath "${1:-$here/../build/src/strata}")"
[[ -x "$strata" ]] || die "no strata binary at '$strata'"

mkdir -p "$here/out"
tmp="$(mktemp -d "$here/out/vm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The accelerator strata picks here (KVM when usable), for both sides.
accel_line="$("$strata" -v run --isolation vm -- /bin/true 2>&1 >/dev/null | sed -n 's/^strata: vm: kernel [^,]*, //p')"
qemu_line="$("$strata" run --isolation vm --dry-run -- /bin/true | sed -n 's/^qemu ([^)]*): //p')"
[[ -n "$qemu_line" ]] || die "strata --dry-run printed no QEMU command line"
kernel="$(sed -n 's/.* -kernel \([^ ]*\) .*/\1/p' <<<"$qemu_line")"
release="$(basename "$kernel" | sed 's/^vmlinuz-//')"

# The bare initramfs: strata's own bytes (its init binary, unused here, so
# that the kernel unpacks as much), busybox, the modules strata loads (same
# order), and an init that does only what any VM runner must.
root="$tmp/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,newroot}
cp /bin/busybox "$root/bin/busybox"
cp "$(dirname "$strata")/strata-vm-init" "$root/strata-vm-init"
: >"$root/modules"
while read -r verb path _; do
  [[ "$verb" == insmod ]] || continue
  mkdir -p "$root$(dirname "$path")"
  cp "$path" "$root$path"
  echo "$path" >>"$root/modules"
done < <(modprobe -S "$release" --show-depends virtio_mmio virtio_console virtiofs)
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
for m in $(/bin/busybox cat /modules); do /bin/busybox insmod "$m"; done
/bin/busybox mount -t virtiofs root /newroot
/bin/busybox chroot /newroot /bin/true
/bin/busybox poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null) >"$tmp/bare.cpio"

# The bare QEMU line: strata's, with its fds replaced by what a script has.
bare_qemu="$(sed -e "s|socket,id=console,fd=[0-9]*|file,id=console,path=$tmp/console.txt|" \
  -e "s|socket,id=channel,fd=[0-9]*|null,id=channel|" \
  -e "s|socket,id=rootfs,fd=[0-9]*|socket,id=rootfs,path=$tmp/vfs.sock|" \
  -e "s|-initrd [^ ]*|-initrd $tmp/bare.cpio|" <<<"$qemu_line")"
cat >"$tmp/bare.sh" <<EOF
#!/bin/sh
rm -f $tmp/vfs.sock
$virtiofsd --socket-path=$tmp/vfs.sock -o source=/ -o sandbox=chroot -o cache=always -o announce_submounts -o log_level=err --thread-pool-size=0 2>/dev/null &
while [ ! -S $tmp/vfs.sock ]; do sleep 0.005; done
$bare_qemu </dev/null
wait
EOF
chmod +x "$tmp/bare.sh"
timeout 120 "$tmp/bare.sh" || die "the bare QEMU invocation failed (console: $(tail -3 "$tmp/console.txt" 2>/dev/null))"
grep -q 'reboot: Power down' "$tmp/console.txt" 2>/dev/null || true

{
  printf 'strata\tstrata run --isolation vm -- /bin/true\t%s\n' "$(printf '%q' "$strata") run --isolation vm -- /bin/true"
  printf 'bare\tbare QEMU + virtiofsd, busybox init\t%s\n' "$tmp/bare.sh"
} >"$tmp/vm.commands"
session vm "$RUNS"
python3 "$here/report.py" vm --json "$tmp/vm.json" --commands "$tmp/vm.commands" --strata "$strata" \
  --runs "$RUNS" --warmup "$WARMUP" --qemu "$qemu_line" --accel "$accel_line" \
  --load "$(cat "$tmp/vm.load")" --quiet-note "$(cat "$tmp/vm.quiet")" --tmp "$tmp" --out "$here/VM.md"
python3 "$here/report.py" splice --out "$here/RESULTS.md" --section vm --file "$here/VM.md"
cp "$tmp/vm.json" "$here/out/vm.json"
say "wrote $here/VM.md and its section of $here/RESULTS.md"
grep -E '^\*\*Target' "$here/VM.md" >&2 || true
