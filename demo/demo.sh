#!/usr/bin/env bash
# The built-in default job: run an example workload in strata's sandbox and
# show what it could and could not see, next to what the host sees; then
# fingerprint this machine and diff it against a minimal tree.
set -uo pipefail
strata=${1:-build/src/strata}

marker=$(mktemp /tmp/strata-demo-host-file.XXXXXX)
tree=$(mktemp -d /tmp/strata-demo-tree.XXXXXX)
trap 'rm -rf "$marker" "$tree"' EXIT

# The workload: a few questions a program might ask of its environment.
workload='
check() { if eval "$2" >/dev/null 2>&1; then printf "  %-44s yes\n" "$1"; else printf "  %-44s no\n" "$1"; fi; }
echo "inside the sandbox:"
printf "  %-44s %s\n" "pid of this shell" "$$"
procs=""
for d in /proc/[0-9]*; do read -r c < "$d/comm" && procs+="${d#/proc/}:$c "; done
printf "  %-44s %s\n" "processes visible (pid:name)" "$procs"
printf "  %-44s %s\n" "hostname" "$(cat /proc/sys/kernel/hostname)"
printf "  %-44s %s\n" "network interfaces" "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
printf "  %-44s %s\n" "user" "$(id -u):$(id -g)"
printf "  %-44s %s\n" "capabilities (CapEff)" "$(grep CapEff /proc/self/status | cut -f2)"
printf "  %-44s %s\n" "top-level directories" "$(ls / | tr "\n" " ")"
check "can write /tmp (private tmpfs)" "echo x > /tmp/probe"
check "can write /usr" "touch /usr/strata-demo"
check "can write /etc" "touch /etc/strata-demo"
check "can see the host file $MARKER" "test -e $MARKER"
check "can see /root, /home or /var" "test -e /root || test -e /home || test -e /var"
check "can reach the network (1.1.1.1:53)" "timeout 2 bash -c \"</dev/tcp/1.1.1.1/53\""
'

echo "== the Plan (strata run --dry-run) =="
"$strata" run --dry-run -- sh -c 'the workload'
echo
echo "== on the host =="
printf "  %-44s %s\n" "processes visible" "$(ls -d /proc/[0-9]* | wc -l)"
printf "  %-44s %s\n" "hostname" "$(hostname)"
printf "  %-44s %s\n" "network interfaces" "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
printf "  %-44s %s\n" "the host file" "$marker"
echo
echo "== strata run -- sh -c WORKLOAD =="
"$strata" run --env MARKER="$marker" -- bash -c "$workload"
status=$?
echo
echo "strata exited with the workload's status: $status"
echo
echo "== strata run --image builtin:busybox (a container from the image built into strata) =="
"$strata" run --image builtin:busybox -- sh -c 'echo "inside: $(cat /proc/version | cut -d" " -f1-3), $(busybox | head -1 | cut -d" " -f1-2), $(ls / | wc -l) entries in /, uid $(id -u)"'
echo
echo "== strata probe (this machine, layer by layer; --json for everything) =="
"$strata" probe
echo
# A tree holding only a static busybox: what a program built here would miss there.
mkdir -p "$tree/bin" "$tree/etc"
if [ -x /bin/busybox ]; then cp /bin/busybox "$tree/bin/busybox"; fi
printf 'ID=tiny\nVERSION_ID=1\n' >"$tree/etc/os-release"
echo "== strata diff live $tree (a tree holding only a static busybox) =="
"$strata" diff live "$tree"
exit "$status"
