#!/usr/bin/env python3
"""Helpers for bench/run.sh.

  report.py busy                      sample the machine's CPU use over 1 s, print percent busy
  report.py cpustat                   print the aggregate "cpu" line of /proc/stat
  report.py write --out RESULTS.md …  turn hyperfine/perf output into RESULTS.md
  report.py container --out CONTAINER.md …  the same for bench/container.sh

Every figure written comes from the files given; nothing is hard-coded.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

USER_HZ = os.sysconf("SC_CLK_TCK")


# ---- machine facts ----------------------------------------------------------------


def cpu_fields():
    with open("/proc/stat") as f:
        parts = f.readline().split()
    return [int(x) for x in parts[1:]]


def busy_of(before, after):
    """Percent of all CPUs busy between two /proc/stat samples (steal excluded)."""
    delta = [b - a for a, b in zip(before, after)]
    user, nice, system, idle, iowait, irq, softirq = delta[:7]
    steal = delta[7] if len(delta) > 7 else 0
    busy = user + nice + system + irq + softirq
    total = busy + idle + iowait + steal
    return 100.0 * busy / total if total else 0.0


def run_text(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_facts(strata):
    facts = {}
    model = ""
    with open("/proc/cpuinfo") as f:
        cpuinfo = f.read()
    m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    if m:
        model = m.group(1).strip()
    flags = re.search(r"^flags\s*:\s*(.+)$", cpuinfo, re.M)
    has_hv_flag = bool(flags and "hypervisor" in flags.group(1).split())
    facts["CPU"] = model or "unknown"
    facts["CPUs online"] = str(os.cpu_count())
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    facts["Memory"] = f"{mem_kib / 1024 / 1024:.1f} GiB"
    facts["Kernel"] = platform.release()
    os_name = ""
    if Path("/etc/os-release").exists():
        m = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', Path("/etc/os-release").read_text(), re.M)
        os_name = m.group(1) if m else ""
    deb = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "n/a"
    facts["OS"] = f"{os_name} (debian_version {deb})"
    vendor = ""
    lscpu = run_text(["lscpu"]) if shutil.which("lscpu") else ""
    m = re.search(r"^Hypervisor vendor:\s*(.+)$", lscpu, re.M)
    if m:
        vendor = m.group(1).strip()
    if has_hv_flag or vendor:
        facts["Hypervisor"] = f"yes ({vendor or 'vendor unknown'}; 'hypervisor' CPU flag {'set' if has_hv_flag else 'not set'})"
    else:
        facts["Hypervisor"] = "no ('hypervisor' CPU flag not set)"
    facts["hyperfine"] = run_text(["hyperfine", "--version"])
    facts["bubblewrap"] = run_text(["bwrap", "--version"])
    needed = []
    if shutil.which("readelf"):
        for line in run_text(["readelf", "-d", strata]).splitlines():
            m = re.search(r"\(NEEDED\).*\[(.+)\]", line)
            if m:
                needed.append(m.group(1))
    version = run_text([strata, "--version"])
    facts["strata"] = f"`{strata}` ({version or 'version unknown'}); {link_kind(strata)}" + (
        f"; shared libraries: {', '.join(needed)}" if needed else "")
    repo = Path(__file__).resolve().parent.parent
    commit = run_text(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    built = datetime.datetime.fromtimestamp(os.path.getmtime(strata), datetime.timezone.utc)
    facts["strata build"] = f"binary modified {built:%Y-%m-%d %H:%M UTC}" + (
        f"; {repo} was at commit {commit} when this report was written (plus any uncommitted changes)"
        if commit else "")
    return facts


def machine_table(strata):
    """The machine facts as the lines of a two-column Markdown table."""
    return ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine_facts(strata).items()]


def link_kind(path):
    """How an ELF binary is linked: dynamic, static-pie or static."""
    if not shutil.which("readelf"):
        return "linking unknown"
    headers = run_text(["readelf", "-lh", path])
    if "INTERP" in headers:
        return "dynamically linked"
    return "static-pie" if re.search(r"Type:\s+DYN", headers) else "statically linked"


# ---- statistics -----------------------------------------------------------------


def ms(seconds):
    return seconds * 1000.0


def ratio(a, b):
    """Ratio of two hyperfine means with a ~95% interval from their standard errors."""
    r = a["mean"] / b["mean"]
    na, nb = len(a["times"]), len(b["times"])
    rel = math.sqrt((a["stddev"] / math.sqrt(na) / a["mean"]) ** 2 + (b["stddev"] / math.sqrt(nb) / b["mean"]) ** 2)
    return r, 1.96 * r * rel


def load_session(json_path, commands_path):
    results = json.loads(Path(json_path).read_text())["results"]
    rows = []
    for line in Path(commands_path).read_text().splitlines():
        if line.strip():
            key, label, command = line.split("\t")
            rows.append({"key": key, "label": label, "command": command})
    if len(rows) != len(results):
        sys.exit(f"report.py: {commands_path} lists {len(rows)} commands, {json_path} has {len(results)} results")
    for row, result in zip(rows, results):
        if result["command"] != row["command"]:
            sys.exit(f"report.py: result for {result['command']!r} does not match {row['command']!r}")
        row["r"] = result
    return {row["key"]: row for row in rows}, rows


def fmt_row_stats(r):
    return (
        f"{ms(r['mean']):.2f} ± {ms(r['stddev']):.2f}",
        f"{ms(r['median']):.2f}",
        f"{ms(r['min']):.2f}",
        f"{ms(r['user']):.2f} / {ms(r['system']):.2f}",
    )


# ---- sections -------------------------------------------------------------------


def main_section(out, session, rows, args):
    bwrap, bwrap_nonet = session["bwrap"]["r"], session["bwrap_nonet"]["r"]
    out.append("## Commands\n")
    out.append(f"One hyperfine session, every command run {args.runs} times after {args.warmup} warm-up runs, "
               "without a shell (`-N`), stdin and stdout on /dev/null:\n")
    out.append("```sh")
    out.append(f"hyperfine -N --style basic --warmup {args.warmup} --runs {args.runs} --export-json out/main.json \\")
    out.append(" \\\n".join(f"  '{row['command']}'" for row in rows))
    out.append("```\n")
    out.append("## Results\n")
    out.append("Wall-clock time per run, in milliseconds. *ratio* is the mean divided by the mean of the bwrap run "
               "of the same network setting (± a 95% interval from the standard errors); user/sys is the CPU time "
               "of the measured process and its children.\n")
    out.append("| command | mean ± σ | median | min | user / sys | ratio |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        r = row["r"]
        base = bwrap_nonet if row["key"].endswith("_nonet") else bwrap
        if row["key"] in ("bwrap", "bwrap_nonet"):
            rat = "1.00 (reference)"
        else:
            value, ci = ratio(r, base)
            rat = f"{value:.2f} ± {ci:.2f}"
        mean, median, low, cpu = fmt_row_stats(r)
        out.append(f"| {row['label']}<br>`{row['command']}` | {mean} | {median} | {low} | {cpu} | {rat} |")
    out.append("")
    value, ci = ratio(session["strata"]["r"], bwrap)
    value_nonet, ci_nonet = ratio(session["strata_nonet"]["r"], bwrap_nonet)
    median_ratio = session["strata"]["r"]["median"] / bwrap["median"]
    met = value <= 1.0
    verdict = "MET" if met else "NOT MET"
    clear = ""
    if value + ci < 1.0:
        clear = " (the whole 95% interval is below 1.0)"
    elif value - ci > 1.0:
        clear = " (the whole 95% interval is above 1.0)"
    else:
        clear = " (the 95% interval includes 1.0: within noise)"
    out.append(f"**Target: strata sandbox start <= bwrap (ratio <= 1.0): {verdict}.** "
               f"strata/bwrap = {value:.2f} ± {ci:.2f} by mean{clear}; {median_ratio:.2f} by median.")
    out.append(f"Without a new network namespace (`--share net` / `--share-net`): strata/bwrap = "
               f"{value_nonet:.2f} ± {ci_nonet:.2f}, target {'met' if value_nonet <= 1.0 else 'not met'}.\n")


def breakdown_section(out, args):
    session, rows = load_session(args.breakdown_json, args.breakdown_commands)
    out.append(f"### Start-up cost by part\n")
    out.append(f"A second hyperfine session (`-N --warmup {args.warmup} --runs {args.breakdown_runs}`) of variants "
               "that each leave out one part of the work."
               + (f" During it, {args.breakdown_load}." if args.breakdown_load else "") + "\n")
    out.append("| variant | command | mean ± σ | median | min |")
    out.append("|---|---|---:|---:|---:|")
    for row in rows:
        mean, median, low, _ = fmt_row_stats(row["r"])
        out.append(f"| {row['label']} | `{row['command']}` | {mean} | {median} | {low} |")
    out.append("")

    def delta(a, b):
        ra, rb = session[a]["r"], session[b]["r"]
        return tuple(ms(ra[s] - rb[s]) for s in ("mean", "median", "min"))

    parts = [
        ("dry_run", "bare", "strata's own start (exec, dynamic linking, flag parsing, plan): `--dry-run` − bare /bin/true"),
        ("bwrap_version", "bare", "bwrap's own start: `bwrap --version` − bare /bin/true"),
        ("host", "dry_run", "running the command without a sandbox (fork, exec, supervise): `--isolation host` − `--dry-run`"),
        ("user_mount", "host", "user + mount namespaces and the whole root setup: user+mount only − `--isolation host`"),
    ]
    for ns in ("net", "pid", "ipc", "uts", "cgroup"):
        parts.append(("strata", f"share_{ns}", f"a new {ns} namespace: default − `--share {ns}`"))
    parts += [
        ("strata", "bwrap_layout", "strata − bwrap given strata's own layout (same mounts, /proc, /dev, /tmp, hostname)"),
        ("strata", "bwrap", "strata − bwrap default (this session)"),
    ]
    out.append("Differences between those variants (ms). Each is a difference of two noisy measurements: a few "
               "hundredths either way is noise, and where the mean and the minimum disagree, a burst of other "
               "load hit one of the two (the minimum is the least disturbed):\n")
    out.append("| part | Δ mean | Δ median | Δ min |")
    out.append("|---|---:|---:|---:|")
    for a, b, label in parts:
        if a in session and b in session:
            dmean, dmedian, dmin = delta(a, b)
            out.append(f"| {label} | {dmean:+.2f} | {dmedian:+.2f} | {dmin:+.2f} |")
    out.append("")


def hardening_section(out, args):
    session, rows = load_session(args.hardening_json, args.hardening_commands)
    out.append("## What the default hardening costs\n")
    out.append(f"A hyperfine session (`--warmup {args.warmup} --runs {args.hardening_runs}`) through `sh` this "
               "time, because bwrap reads its filter from a file descriptor (`--seccomp 9 ... 9<default.bpf`, the "
               "raw program of strata's default policy from `strata-gen-seccomp --bpf`); hyperfine subtracts the "
               "shell's own start-up."
               + (f" During it, {args.hardening_load}." if args.hardening_load else "") + "\n")
    out.append("| variant | command | mean ± σ | median | min |")
    out.append("|---|---|---:|---:|---:|")
    for row in rows:
        mean, median, low, _ = fmt_row_stats(row["r"])
        out.append(f"| {row['label']} | `{row['command']}` | {mean} | {median} | {low} |")
    out.append("")

    def med(key):
        return ms(session[key]["r"]["median"])

    value, ci = ratio(session["strata"]["r"], session["bwrap_seccomp"]["r"])
    out.append("| cost (medians, ms) | Δ |")
    out.append("|---|---:|")
    out.append(f"| seccomp in strata: seccomp only − bare sandbox | {med('seccomp_only') - med('bare_sandbox'):+.2f} |")
    out.append(f"| Landlock in strata: Landlock only − bare sandbox | {med('landlock_only') - med('bare_sandbox'):+.2f} |")
    out.append(f"| both (strata's default) − bare sandbox | {med('strata') - med('bare_sandbox'):+.2f} |")
    out.append(f"| the same filter in bwrap: with − without | {med('bwrap_seccomp') - med('bwrap'):+.2f} |")
    out.append("")
    out.append(f"strata default / bwrap with the same seccomp filter = **{value:.2f} ± {ci:.2f}** by mean "
               f"({med('strata') / med('bwrap_seccomp'):.2f} by median); bwrap has no Landlock to add.\n")


ROLES = [
    ("runner", "the runner's own process (exec, linking, flags, clone, id maps, waiting)"),
    ("sandbox child", "its child in the new namespaces (builds the root, stays as pid 1)"),
    ("workload before exec", "the workload's process until its exec (credentials, signals, exec)"),
    ("workload after exec", "/bin/true itself"),
]


def perf_section(out, args):
    strata = json.loads(Path(args.perf_strata).read_text())
    bwrap = json.loads(Path(args.perf_bwrap).read_text())
    n = args.perf_runs

    def per_run(data, role=None):
        totals = {}
        for r, buckets in data.items():
            if r in ("loop", "kernel threads", "other processes") or (role is not None and r != role):
                continue
            for name, ns in buckets.items():
                totals[name] = totals.get(name, 0.0) + ns / 1e6 / n
        return totals

    s, b = per_run(strata), per_run(bwrap)
    total_s, total_b = sum(s.values()), sum(b.values())
    out.append("### CPU profile\n")
    out.append(f"`perf record -a -e cpu-clock/period={args.perf_period}/ -e sched:sched_process_fork -g` over {n} "
               "back-to-back runs of each sandbox (the default pair above), each sample put by "
               "`perf_breakdown.py` into the process it ran in and the system call, page faults or user-space "
               "library it fell in. Figures are CPU milliseconds per run; the shell loop driving the runs is left "
               "out, and so is the work kernel threads do later (shown separately below). Sampling adds "
               "overhead: compare the columns with each other rather than with the wall-clock times above.\n")
    out.append(f"Total: strata {total_s:.2f} ms of CPU per run, bwrap {total_b:.2f} ms "
               f"(strata − bwrap = {total_s - total_b:+.2f} ms).\n")
    out.append("By process:\n")
    out.append("| process | strata | bwrap | strata − bwrap |")
    out.append("|---|---:|---:|---:|")
    for role, label in ROLES:
        rs, rb = sum(per_run(strata, role).values()), sum(per_run(bwrap, role).values())
        out.append(f"| {label} | {rs:.3f} | {rb:.3f} | {rs - rb:+.3f} |")
    out.append("")

    # Grouped view: what kind of work the difference is.
    exec_calls = {"syscall execve", "syscall mmap", "syscall mprotect", "syscall munmap", "syscall brk",
                  "syscall pread64", "syscall arch_prctl"}
    root_calls = {"syscall mount", "syscall umount2", "syscall pivot_root", "syscall open_tree",
                  "syscall move_mount", "syscall mount_setattr", "syscall fsopen", "syscall fsconfig",
                  "syscall fsmount", "syscall openat2", "syscall mkdirat", "syscall mkdir", "syscall symlinkat",
                  "syscall symlink", "syscall chdir", "syscall fchdir",
                  "syscall return: task_work (deferred fput/unmount)"}
    file_calls = {"syscall openat", "syscall read", "syscall newfstatat", "syscall getdents64", "syscall statfs",
                  "syscall readlink", "syscall close", "syscall close_range", "syscall access", "syscall faccessat2"}

    def group(name):
        if name == "user: dynamic loader (ld.so)" or name in exec_calls:
            return "exec and dynamic linking (execve, ld.so, mmap/mprotect/…)"
        if name == "page fault":
            return "page faults"
        if name == "syscall clone":
            return "clone/clone3 (new namespaces, new processes)"
        if name in ("syscall exit_group", "syscall exit", "process start/exit (kernel)"):
            return "process exit (exit_group: freeing memory, namespaces, mounts)"
        if name in root_calls:
            return "building the root (mount calls, pivot_root, mkdir/symlink, openat2)"
        if name in file_calls:
            return "file calls (open, read, stat, readlink, close)"
        if name.startswith("user:"):
            return "user-space code of the runner (libc, libstdc++, libgcc_s, the binary)"
        return "other system calls (signals, sockets, ioctl, prctl, wait, …)"

    def grouped(data):
        g = {}
        for r, buckets in data.items():
            if r in ("loop", "workload after exec", "kernel threads", "other processes"):
                continue
            for name, ns in buckets.items():
                g[group(name)] = g.get(group(name), 0.0) + ns / 1e6 / n
        return g

    gs, gb = grouped(strata), grouped(bwrap)
    out.append("By kind of work (the runner's processes, /bin/true itself left out):\n")
    out.append("| kind of work | strata | bwrap | strata − bwrap |")
    out.append("|---|---:|---:|---:|")
    order = sorted(set(gs) | set(gb), key=lambda g: -(gs.get(g, 0.0) - gb.get(g, 0.0)))
    for g in order:
        out.append(f"| {g} | {gs.get(g, 0.0):.3f} | {gb.get(g, 0.0):.3f} | {gs.get(g, 0.0) - gb.get(g, 0.0):+.3f} |")
    out.append("")
    worse = [f"{g} ({gs.get(g, 0.0) - gb.get(g, 0.0):+.2f} ms)" for g in order if gs.get(g, 0.0) - gb.get(g, 0.0) >= 0.05]
    if worse:
        out.append("Where strata spends more CPU than bwrap, largest first: " + "; ".join(worse) + ".\n")
    else:
        out.append("No kind of work costs strata 0.05 ms of CPU or more above bwrap in this profile.\n")

    def detail(data):
        rows = {}
        for role, _ in ROLES[:3]:
            for name, ns in data.get(role, {}).items():
                rows[(role, name)] = rows.get((role, name), 0.0) + ns / 1e6 / n
        return rows

    ds, db = detail(strata), detail(bwrap)
    keys = [k for k in set(ds) | set(db) if max(ds.get(k, 0.0), db.get(k, 0.0)) >= 0.03]
    keys.sort(key=lambda k: -max(ds.get(k, 0.0), db.get(k, 0.0)))
    out.append(f"In detail (every entry of at least 0.03 ms in either runner):\n")
    out.append("| process | where | strata | bwrap | strata − bwrap |")
    out.append("|---|---|---:|---:|---:|")
    for role, name in keys:
        vs, vb = ds.get((role, name), 0.0), db.get((role, name), 0.0)
        out.append(f"| {role} | {name} | {vs:.3f} | {vb:.3f} | {vs - vb:+.3f} |")
    out.append("")

    ks, kb = strata.get("kernel threads", {}), bwrap.get("kernel threads", {})
    if ks or kb:
        labels = {
            "work: cleanup_net": "tearing down network namespaces (cleanup_net)",
            "work: free_ipc": "tearing down ipc namespaces (free_ipc)",
            "work: destroy_super_work": "freeing unmounted superblocks (destroy_super_work)",
            "work: free_user_ns": "freeing user namespaces (free_user_ns)",
            "work: destroy_pid_namespace_work": "freeing pid namespaces",
            "RCU callbacks": "RCU callbacks (deferred frees of all kinds)",
        }
        out.append("Deferred kernel work: CPU that kernel threads spent while the runs went on, machine-wide, "
                   "in ms per run. It is not on the runner's path (nothing waits for it) but it competes for the "
                   "CPUs; other processes on the machine can add to it, the named namespace teardowns aside.\n")
        out.append("| kernel work | strata | bwrap |")
        out.append("|---|---:|---:|")
        names = sorted(set(ks) | set(kb), key=lambda k: -max(ks.get(k, 0), kb.get(k, 0)))
        shown = [k for k in names if max(ks.get(k, 0), kb.get(k, 0)) / 1e6 / n >= 0.01]
        for k in shown:
            out.append(f"| {labels.get(k, k)} | {ks.get(k, 0) / 1e6 / n:.3f} | {kb.get(k, 0) / 1e6 / n:.3f} |")
        rest_s = sum(v for k, v in ks.items() if k not in shown) / 1e6 / n
        rest_b = sum(v for k, v in kb.items() if k not in shown) / 1e6 / n
        out.append(f"| everything else | {rest_s:.3f} | {rest_b:.3f} |")
        os_, ob = strata.get("other processes", {}).get("busy", 0), bwrap.get("other processes", {}).get("busy", 0)
        out.append("")
        out.append(f"Other processes used {os_ / 1e6 / n:.3f} (strata's profile) and {ob / 1e6 / n:.3f} (bwrap's) "
                   "ms of CPU per run meanwhile: a measure of how quiet the machine was.\n")


def summary_section(out, args, main):
    """A few sentences with the headline figures of the sections below, all computed."""
    said = []
    if args.breakdown_json:
        session, _ = load_session(args.breakdown_json, args.breakdown_commands)

        def med(key):
            return ms(session[key]["r"]["median"])

        if all(k in session for k in ("strata", "bwrap", "dry_run", "bwrap_version")):
            said.append(f"In the breakdown session strata's median is {med('strata') - med('bwrap'):+.2f} ms from "
                        f"bwrap's. Start-up before any sandboxing accounts for "
                        f"{med('dry_run') - med('bwrap_version'):+.2f} ms of that: `strata run --dry-run` takes "
                        f"{med('dry_run'):.2f} ms, `bwrap --version` {med('bwrap_version'):.2f} ms.")
        if "bwrap_layout" in session and "strata" in session:
            said.append(f"Asked to build strata's own layout (/proc, /dev, /tmp, …), bwrap takes "
                        f"{med('bwrap_layout'):.2f} ms, {med('strata') - med('bwrap_layout'):+.2f} ms from strata.")
    def mmed(key):
        return ms(main[key]["r"]["median"])
    said.append(f"A new network namespace costs bwrap {mmed('bwrap') - mmed('bwrap_nonet'):+.2f} ms and strata "
                f"{mmed('strata') - mmed('strata_nonet'):+.2f} ms (medians of the main session).")
    if args.perf_strata and args.perf_bwrap:
        s = json.loads(Path(args.perf_strata).read_text()).get("runner", {})
        b = json.loads(Path(args.perf_bwrap).read_text()).get("runner", {})
        n = args.perf_runs

        def d(key):
            return (s.get(key, 0) - b.get(key, 0)) / 1e6 / n

        said.append(f"In the CPU profile, strata's own process spends {d('user: dynamic loader (ld.so)'):+.2f} ms "
                    f"in the dynamic loader and {d('page fault'):+.2f} ms in page faults compared with bwrap's.")
    out.append(" ".join(said) + "\n")


def write(args):
    session, rows = load_session(args.main_json, args.main_commands)
    out = ["# strata sandbox start-up benchmark\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/run.sh` on {now}. How long `strata run -- /bin/true` takes, start to "
               "finish, next to bubblewrap doing the same.\n")
    out.append("## Machine\n")
    out += machine_table(args.strata)
    if args.main_load:
        out.append(f"| Other load during the main session | {args.main_load} |")
    if args.quiet_note:
        out.append(f"| Before the main session | {args.quiet_note} |")
    out.append("")
    main_section(out, session, rows, args)
    if args.hardening_json:
        hardening_section(out, args)
    if args.breakdown_json or args.perf_strata:
        out.append("## Where the time goes\n")
        summary_section(out, args, session)
        if args.breakdown_json:
            breakdown_section(out, args)
        if args.perf_strata and args.perf_bwrap:
            perf_section(out, args)
        elif args.perf_note:
            out.append(f"### CPU profile\n\n{args.perf_note}\n")
        extra = Path(args.out).parent / "STATIC_LINK.md"
        if extra.exists():
            out.append("A separate, dated experiment on linking strata statically (measured figures) is in "
                       "[STATIC_LINK.md](STATIC_LINK.md).\n")
    reliability = Path(args.out).parent / "RELIABILITY.md"
    if reliability.exists():
        body = reliability.read_text().splitlines()
        out.append("## Reliability\n")
        out.append("Copied from [RELIABILITY.md](RELIABILITY.md), which `bench/reliability.sh` writes:\n")
        out.extend(line.replace("# Reliability figures", "").replace("# ", "### ", 1) if line.startswith("#") else line
                   for line in body[1:])
        out.append("")
    Path(args.out).write_text("\n".join(out))
    probe_md = Path(args.out).parent / "PROBE.md"
    if probe_md.exists():
        splice(args.out, "probe", probe_md.read_text())
    container_md = Path(args.out).parent / "CONTAINER.md"
    if container_md.exists():
        splice(args.out, "container", container_md.read_text())
    trace_md = Path(args.out).parent / "TRACE.md"
    if trace_md.exists():
        splice(args.out, "trace", trace_md.read_text())


def other_load(cpu_before, cpu_after, times_before, times_after):
    """Percent of all CPUs used by anything but this shell's children between two samples."""
    before = [int(x) for x in Path(cpu_before).read_text().split()[1:]]
    after = [int(x) for x in Path(cpu_after).read_text().split()[1:]]
    ours = children_cpu(Path(times_after).read_text()) - children_cpu(Path(times_before).read_text())
    delta = sum(b - a for a, b in zip(before, after))
    busy = sum(b - a for i, (a, b) in enumerate(zip(before, after)) if i in (0, 1, 2, 5, 6))
    other = max(0.0, busy / USER_HZ - ours)
    seconds = delta / USER_HZ / (os.cpu_count() or 1)
    share = 100.0 * other / (delta / USER_HZ) if delta else 0.0
    return share, seconds


def children_cpu(times_text):
    """Seconds of user+sys CPU from the second line of bash's `times` (the children's)."""
    lines = [l for l in times_text.splitlines() if l.strip()]
    total = 0.0
    for m in re.finditer(r"(\d+)m([\d.]+)s", lines[1]):
        total += int(m.group(1)) * 60 + float(m.group(2))
    return total


def probe_report(args):
    session, rows = load_session(args.json, args.commands)
    out = ["# strata probe and strata diff timing\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/probe.sh` on {now}: hyperfine `-N --warmup {args.warmup} --runs {args.runs}`. "
               f"The manifest of this machine has {args.facts} facts; B is A with glibc, one library and one "
               f"package changed. inxi is a peer doing a shallower inventory (no libraries, packages, language "
               f"layer, KVM usability or ISA level). {args.quiet_note}.\n")
    out += machine_table(args.strata)
    out.append("")
    out.append("| command | mean ± σ | median | min | user / sys |")
    out.append("|---|---:|---:|---:|---:|")
    for row in rows:
        mean, median, low, cpu = fmt_row_stats(row["r"])
        out.append(f"| {row['label']}<br>`{row['command']}` | {mean} | {median} | {low} | {cpu} |")
    out.append("")
    probe, diff, inxi = (ms(session[k]["r"]["mean"]) for k in ("probe", "diff", "inxi"))
    out.append(f"**Target: strata probe --json under 50 ms: {'MET' if probe < 50 else 'NOT MET'} ({probe:.1f} ms "
               f"mean). strata diff under 10 ms: {'MET' if diff < 10 else 'NOT MET'} ({diff:.1f} ms mean).** "
               f"inxi -F takes {inxi:.0f} ms, {inxi / probe:.0f}x strata probe.\n")
    Path(args.out).write_text("\n".join(out))


def trace_report(args):
    """TRACE.md from bench/trace.sh: strata trace's overhead next to strace, strata analyze next to ldd/lddtree."""
    session, rows = load_session(args.json, args.commands)
    analyze, analyze_rows = load_session(args.analyze_json, args.analyze_commands)
    out = ["# strata trace and strata analyze timing\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/trace.sh` on {now}: hyperfine `-N --warmup {args.warmup} --runs {args.runs}`. "
               f"The workload is `{args.workload}`: {args.workload_note}. {args.quiet_note}.\n")
    out += machine_table(args.strata)
    out.append("")
    for title, table in (("Tracing", rows), ("Static analysis", analyze_rows)):
        out.append(f"## {title}\n")
        out.append("| command | mean ± σ | median | min | user / sys |")
        out.append("|---|---:|---:|---:|---:|")
        for row in table:
            mean, median, low, cpu = fmt_row_stats(row["r"])
            out.append(f"| {row['label']}<br>`{row['command']}` | {mean} | {median} | {low} | {cpu} |")
        out.append("")
    pairs = [("trace_host", "run_host", "strata trace / strata run, host"),
             ("trace_host", "bare", "strata trace (host) / the bare command"),
             ("strace", "bare", "strace -f / the bare command"),
             ("strace", "trace_host", "strace -f / strata trace (host)"),
             ("trace_sandbox", "run_sandbox", "strata trace / strata run, default sandbox"),
             ("trace_all", "run_host", "strata trace --all-syscalls / strata run, host")]
    out.append("## Ratios (means, with a ~95% interval)\n")
    out.append("| ratio | value |")
    out.append("|---|---:|")
    for a, b, label in pairs:
        if a in session and b in session:
            r, ci = ratio(session[a]["r"], session[b]["r"])
            out.append(f"| {label} | {r:.2f} ± {ci:.2f} |")
    for key in analyze:
        if key != "analyze":
            r, ci = ratio(analyze[key]["r"], analyze["analyze"]["r"])
            out.append(f"| {analyze[key]['label']} / strata analyze | {r:.2f} ± {ci:.2f} |")
    out.append("")
    r, ci = ratio(session["trace_host"]["r"], session["run_host"]["r"])
    out.append(f"**Target: strata trace at or under 1.25x the untraced run (host): "
               f"{'MET' if r <= 1.25 else 'NOT MET'} ({r:.2f} ± {ci:.2f}).**\n")
    Path(args.out).write_text("\n".join(out))


def vm_report(args):
    """VM.md from bench/vm.sh: strata's VM run next to the bare QEMU invocation it builds."""
    session, rows = load_session(args.json, args.commands)
    out = ["# strata run --isolation vm timing\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/vm.sh` on {now}: hyperfine `-N --warmup {args.warmup} --runs {args.runs}`. "
               f"Accelerator: {args.accel}. {args.quiet_note}; during the session {args.load}.\n")
    out += machine_table(args.strata)
    out.append("")
    out.append("The bare side is the QEMU command line strata builds (from its `--dry-run`), with the fds strata "
               "passes replaced by a file console, a null channel and virtiofsd on a socket path, serving `/`; "
               "its initramfs holds the same modules and strata-vm-init (unused, so the kernel unpacks as much) "
               "plus busybox, and its busybox init loads the modules, mounts the root "
               "over virtio-fs, runs `/bin/true` there and powers off. strata's side adds its own work: "
               "finding the kernel and the cached accelerator, packing its initramfs into a memfd, assembling "
               "the root in virtiofsd's mount namespace, the channel, the Job, the relay and the status.\n")
    out.append("```")
    out.append(args.qemu.replace(args.tmp, "$TMP"))
    out.append("```\n")
    out.append("| command | mean ± σ | median | min | user / sys |")
    out.append("|---|---:|---:|---:|---:|")
    for row in rows:
        mean, median, low, cpu = fmt_row_stats(row["r"])
        out.append(f"| {row['label']} | {mean} | {median} | {low} | {cpu} |")
    out.append("")
    r, ci = ratio(session["strata"]["r"], session["bare"]["r"])
    out.append(f"strata / bare: **{r:.2f} ± {ci:.2f}** (means, ~95% interval).\n")
    out.append(f"**Target: strata's VM run within 10% of the bare QEMU invocation: "
               f"{'MET' if r <= 1.10 else 'NOT MET'} ({r:.2f} ± {ci:.2f}).**\n")
    out.append("Boot-to-exit under KVM could not be measured on this machine: its /dev/kvm serves only PVM "
               "guests and a normal guest hangs (strata detects that and uses TCG). Firecracker's published "
               "anchor is 125 ms to guest init under KVM.\n")
    Path(args.out).write_text("\n".join(out))


def wasm_report(args):
    """WASM.md from bench/wasm.sh: strata's wasm layer next to the engine run directly and the native sandbox."""
    session, rows = load_session(args.json, args.commands)
    out = ["# strata run --isolation wasm timing\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/wasm.sh` on {now}: hyperfine `-N --warmup {args.warmup} --runs {args.runs}`. "
               f"{args.quiet_note}; during the session {args.load}. The module is a C hello world built with "
               "`clang-19 --target=wasm32-wasi -O2` against Debian's wasi-libc; the native hello is the same "
               "source built with `cc -O2`. Engines present: Node.js only (the others are not packaged in "
               "Debian 12; wabt's wasm-interp has no WASI).\n")
    out += machine_table(args.strata)
    out.append("")
    out.append("| command | mean ± σ | median | min | user / sys |")
    out.append("|---|---:|---:|---:|---:|")
    for row in rows:
        mean, median, low, cpu = fmt_row_stats(row["r"])
        out.append(f"| {row['label']}<br>`{row['command'].replace(args.tmp, '$TMP')}` | {mean} | {median} | {low} "
                   f"| {cpu} |")
    out.append("")
    mean = {k: v["r"]["mean"] for k, v in session.items()}
    out.append("## Ratios (means, with a ~95% interval)\n")
    out.append("| ratio | value |")
    out.append("|---|---:|")
    for a, b, label in (("strata_wasm", "direct", "strata (sandboxed) / the engine directly"),
                        ("strata_wasm_nosandbox", "direct", "strata --no-sandbox / the engine directly"),
                        ("strata_wasm", "sandbox_native", "strata wasm / strata sandbox running the native hello")):
        r, ci = ratio(session[a]["r"], session[b]["r"])
        out.append(f"| {label} | {r:.2f} ± {ci:.2f} |")
    out.append("")
    sandbox_start = mean["sandbox_native"] - mean["bare_native"]
    budget = 1.10 * mean["direct"] + sandbox_start
    met = mean["strata_wasm"] <= budget
    out.append(f"The sandbox's start costs {ms(sandbox_start):.1f} ms here (strata's sandbox running the native "
               f"hello minus the bare native hello). Budget: 1.10 × {ms(mean['direct']):.1f} ms + {ms(sandbox_start):.1f} ms "
               f"= {ms(budget):.1f} ms.\n")
    out.append(f"**Target: strata's wasm run within 10% of the engine run directly, plus the sandbox start: "
               f"{'MET' if met else 'NOT MET'} ({ms(mean['strata_wasm']):.1f} ms against {ms(budget):.1f} ms).**\n")
    Path(args.out).write_text("\n".join(out))


def layers_report(args):
    """LAYERS.md from bench/layers.sh: the same workload at each layer and stack."""
    tmp = Path(args.tmp)
    out = ["# The cost of each layer\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/layers.sh` on {now}: hyperfine `-N --warmup {args.warmup}`, "
               f"{args.runs} runs per row ({args.vm_runs} for the VM rows). The workload is `python3 -c` printing "
               "`sys.prefix`; with a venv it also imports a package installed from a local wheel. Every venv was "
               "made before the session, so the venv rows measure reuse.\n")
    out += machine_table(args.strata)
    out.append("")
    sessions = {}
    for name in ("layers", "vm_layers"):
        if (tmp / f"{name}.json").exists():
            session, rows = load_session(tmp / f"{name}.json", tmp / f"{name}.commands")
            sessions[name] = (session, rows, (tmp / f"{name}.load").read_text().strip(),
                              (tmp / f"{name}.quiet").read_text().strip())
    fast = sessions["layers"][0]
    base = fast["host"]["r"]["mean"]
    out.append("| layers | mean ± σ | median | min | vs `--isolation host` |")
    out.append("|---|---:|---:|---:|---:|")
    for name, (session, rows, _, _) in sessions.items():
        for row in rows:
            mean, median, low, _ = fmt_row_stats(row["r"])
            delta = ms(row["r"]["mean"] - base)
            out.append(f"| {row['label']} | {mean} | {median} | {low} | {delta:+.1f} ms |")
    out.append("")
    for name, (_, _, load, quiet) in sessions.items():
        out.append(f"- {name} session: {quiet}; during it {load}.")
    if not args.image:
        out.append("- No Debian + python3 image was given (bench/layers.sh STRATA LAYOUT; the test fixture "
                   "build/fixtures/debian-python-oci): the container rows are missing.")
    if "vm_layers" not in sessions:
        out.append("- No QEMU or no /boot/vmlinuz-*: the VM rows are missing.")
    out.append("")
    reuse = fast["venv_true"]["r"]["mean"] - fast["host_true"]["r"]["mean"]
    r, ci = ratio(fast["venv_true"]["r"], fast["host_true"]["r"])
    out.append(f"Reusing a cached venv costs strata {ms(reuse):.1f} ms: `--isolation venv -- /bin/true` minus "
               f"`--isolation host -- /bin/true`, means (ratio {r:.2f} ± {ci:.2f}): finding the key, the lock, "
               "the marker, the variables. With Python itself the venv row can come out faster than the host "
               "row: the venv's interpreter does not read the system's site-packages and their .pth files.\n")
    out.append(f"**Target: cached venv reuse under 10 ms: {'MET' if ms(reuse) < 10 else 'NOT MET'} "
               f"({ms(reuse):.1f} ms).**\n")
    Path(args.out).write_text("\n".join(out))


def container_report(args):
    """CONTAINER.md from bench/container.sh's sessions: start-up, then unpack on each filesystem."""
    start, start_rows = load_session(args.start_json, args.start_commands)
    sessions = Path(args.session_dir)

    def short(text):
        return text.replace(args.tmp, "$TMP")

    def verdict(value, ci, target):
        where = ("the whole 95% interval is below" if value + ci < target else
                 "the whole 95% interval is above" if value - ci > target else "the 95% interval includes")
        return f"{'MET' if value <= target else 'NOT MET'}", f"{where} {target}"

    def table(rows, prep=None):
        out.append("| command | mean ± σ | median | min | user / sys |")
        out.append("|---|---:|---:|---:|---:|")
        for i, row in enumerate(rows):
            mean, median, low, cpu = fmt_row_stats(row["r"])
            before = f"<br>before each run: `{short(prep[i])}`" if prep else ""
            out.append(f"| {row['label']}<br>`{short(row['command'])}`{before} | {mean} | {median} | {low} | {cpu} |")
        out.append("")

    out = ["# Container start-up and image unpack: strata, runc, podman, umoci\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by `bench/container.sh` on {now}. `$TMP` stands for the script's scratch directory "
               "under `bench/out/`, which holds every peer's state (strata's store, runc's state directory, "
               "podman's storage), removed afterwards. The strata timed is a copy of "
               f"`{args.strata_origin}` taken when the script started (`$TMP/strata` below).\n")
    out += machine_table(args.strata)
    for tool in (["runc", "--version"], ["podman", "--version"], ["umoci", "--version"]):
        out.append(f"| {tool[0]} | {run_text(tool).splitlines()[0] if run_text(tool) else 'unknown'} |")
    out.append(f"| crun | {args.crun_note} |")
    out.append("")

    out.append("## Start-up on the same busybox rootfs\n")
    out.append("One OCI layout (one layer: `/bin/busybox` with applets `sh true ls id env pwd cat echo`, "
               "`/etc/passwd`, `/etc/group`), built by the script with umoci, used by all three:\n")
    out.append("- strata: `strata image import` into a private store (`STRATA_HOME=$TMP/strata-home`, set in "
               "hyperfine's environment), and one `strata run --image` before timing, so **the layer is already "
               "unpacked (warm)**; each timed run still mounts an overlay with a fresh writable layer and removes it "
               "afterwards. No network namespace beyond loopback is strata's default (like `--network none`).")
    out.append("- runc: `umoci unpack` of the layout into a bundle, its `config.json` replaced by `runc spec` with "
               "`terminal: false` and `args: [\"/bin/true\"]` (runc's default: read-only root, a new network "
               "namespace with nothing in it). `runc run ID` without `--detach` deletes the container when it "
               "exits, so every run reuses one ID; its state directory is private (`--root`).")
    out.append("- podman: the layout, tarred as an oci-archive, loaded (`podman load`) into a private storage (`--root`, "
               "`--runroot`, overlay driver), run with `--runtime runc --cgroup-manager=cgroupfs` and ulimits "
               "this machine's hard limits allow; `--rm`, `--network none`. crun, podman's usual runtime, is not "
               "used: " + args.crun_note + ".")
    out.append("")
    out.append(f"hyperfine `-N --warmup {args.warmup} --runs {args.runs}`, stdin and output on /dev/null. "
               f"Before the session: {args.start_quiet}; during it, {args.start_load}.\n")
    table(start_rows)
    s_r, runc_r, pod_r = start["strata"]["r"], start["runc"]["r"], start["podman"]["r"]
    v_runc, ci_runc = ratio(s_r, runc_r)
    v_pod, ci_pod = ratio(s_r, pod_r)
    met, where = verdict(v_runc, ci_runc, 0.5)
    out.append(f"**Target ≤0.5x runc: {met}.** strata/runc = {v_runc:.2f} ± {ci_runc:.2f} by mean ({where}); "
               f"{s_r['median'] / runc_r['median']:.2f} by median. strata/podman = {v_pod:.3f} ± {ci_pod:.3f} by "
               f"mean ({s_r['median'] / pod_r['median']:.3f} by median).\n")
    extra = []
    if "strata_ro" in start:
        extra.append(f"the per-run writable layer costs strata "
                     f"{ms(s_r['median'] - start['strata_ro']['r']['median']):+.2f} ms (median, default − "
                     f"`--read-only`)")
    if "strata_rootfs" in start:
        extra.append(f"the image (store lookup, lock, overlay) over a plain `--rootfs` on the same tree "
                     f"{ms(s_r['median'] - start['strata_rootfs']['r']['median']):+.2f} ms (median)")
    if extra:
        out.append("Within strata: " + "; ".join(extra) + ".\n")

    out.append("## Import and unpack of a large image\n")
    out.append(f"The tree: {args.tree}. The script makes it a one-layer OCI layout (`umoci init`, `umoci new`, "
               "`umoci insert DIR /`), then times, each from a clean state (`--prepare` removes what the last "
               "run wrote and runs `sync`, so the writeback of one run does not fall into the next):\n")
    out.append("- `strata image import` alone (copies each blob into the store, checking its digest, syncing it);")
    out.append("- the first `strata run --image` after an import done in `--prepare`: it unpacks the layer (two "
               "passes: one checks the digest, diffID and caps, one extracts) and runs `/bin/true` (the start-up "
               "above, tens of milliseconds, is part of it);")
    out.append("- both in one command: **strata's figure for the target**, import plus first unpack, as "
               "`umoci unpack` also starts from the layout;")
    out.append("- `umoci unpack` (rootfs, runtime `config.json` and the mtree manifest of the tree) and, for "
               "reference, `umoci raw unpack` (the rootfs only).")
    out.append("")
    out.append(f"hyperfine `--warmup {args.unpack_warmup} --runs {args.unpack_runs}` through `sh` (for the `&&`; "
               "hyperfine subtracts the shell's start-up), one session per filesystem the trees are written to; "
               "the layout and its blobs stay on the host's filesystem (in the page cache). The first session "
               "gives the target line.\n")
    for n, (fs, desc) in enumerate(args.unpack):
        base = sessions / f"unpack_{fs}"
        unpack, unpack_rows = load_session(f"{base}.json", f"{base}.commands")
        prepare = Path(f"{base}.prepare").read_text().splitlines()
        load = Path(f"{base}.load").read_text().strip()
        quiet = Path(f"{base}.quiet").read_text().strip()
        out.append(f"### Trees written to {fs}: {desc}\n")
        out.append(f"Before the session: {quiet}; during it, {load} (the kernel's writeback of the trees counts "
                   "as other load here).\n")
        table(unpack_rows, prepare)
        u_s, u_umoci = unpack["strata"]["r"], unpack["umoci"]["r"]
        v, ci = ratio(u_s, u_umoci)
        met, where = verdict(v, ci, 1.0)
        head = f"**Target ≤1.0x umoci unpack: {met}.**" if n == 0 else f"Not the target's session: {met.lower()} here."
        out.append(f"{head} (strata image import + first run) / umoci unpack = "
                   f"{v:.2f} ± {ci:.2f} by mean ({where}); {u_s['median'] / u_umoci['median']:.2f} by median.")
        su = unpack["strata_unpack"]["r"]
        v2, ci2 = ratio(su, u_umoci)
        v3, ci3 = ratio(su, unpack["umoci_raw"]["r"])
        out.append(f"By mean: the unpacking run alone / umoci unpack = {v2:.2f} ± {ci2:.2f}; the unpacking run "
                   f"alone / umoci raw unpack = {v3:.2f} ± {ci3:.2f}.")
        out.append(f"Means: strata's unpacking run, which reads and decompresses the layer in each of its two "
                   f"passes, {su['mean']:.2f} s wall, {su['user']:.2f} s user, {su['system']:.2f} s system; umoci "
                   f"unpack (several threads) {u_umoci['mean']:.2f} s wall, {u_umoci['user']:.2f} s user, "
                   f"{u_umoci['system']:.2f} s system.\n")
    Path(args.out).write_text("\n".join(out))


def splice(out_path, section, text):
    """Puts `text` between section markers in out_path, replacing an earlier copy."""
    begin, end = f"<!-- section:{section} -->", f"<!-- /section:{section} -->"
    # One heading level down: the section sits inside RESULTS.md.
    body = "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    path = Path(out_path)
    current = path.read_text() if path.exists() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        _, tail = rest.split(end, 1)
        path.write_text(head + block + tail.lstrip("\n"))
    else:
        path.write_text(current.rstrip("\n") + "\n\n" + block)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("busy")
    sub.add_parser("cpustat")
    o = sub.add_parser("other-load")
    o.add_argument("files", nargs=4)
    w = sub.add_parser("write")
    w.add_argument("--out", required=True)
    w.add_argument("--strata", required=True)
    w.add_argument("--main-json", required=True)
    w.add_argument("--main-commands", required=True)
    w.add_argument("--runs", type=int, required=True)
    w.add_argument("--warmup", type=int, required=True)
    w.add_argument("--breakdown-json")
    w.add_argument("--breakdown-commands")
    w.add_argument("--breakdown-runs", type=int, default=0)
    w.add_argument("--hardening-json")
    w.add_argument("--hardening-commands")
    w.add_argument("--hardening-runs", type=int, default=0)
    w.add_argument("--hardening-load")
    w.add_argument("--perf-strata")
    w.add_argument("--perf-bwrap")
    w.add_argument("--perf-runs", type=int, default=0)
    w.add_argument("--perf-period", type=int, default=0)
    w.add_argument("--perf-top", type=int, default=16)
    w.add_argument("--perf-note")
    w.add_argument("--main-load")
    w.add_argument("--breakdown-load")
    w.add_argument("--quiet-note")
    p = sub.add_parser("probe")
    p.add_argument("--json", required=True)
    p.add_argument("--commands", required=True)
    p.add_argument("--facts", required=True)
    p.add_argument("--strata", required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--warmup", type=int, required=True)
    p.add_argument("--quiet-note", default="")
    p.add_argument("--out", required=True)
    c = sub.add_parser("container")
    c.add_argument("--out", required=True)
    c.add_argument("--strata", required=True)
    c.add_argument("--strata-origin", required=True, help="the binary --strata is a copy of")
    c.add_argument("--start-json", required=True)
    c.add_argument("--start-commands", required=True)
    c.add_argument("--runs", type=int, required=True)
    c.add_argument("--warmup", type=int, required=True)
    c.add_argument("--start-load", default="")
    c.add_argument("--start-quiet", default="")
    c.add_argument("--session-dir", required=True, help="where unpack_FS.{json,commands,prepare,load,quiet} are")
    c.add_argument("--unpack", nargs=2, action="append", required=True, metavar=("FS", "DESCRIPTION"))
    c.add_argument("--unpack-runs", type=int, required=True)
    c.add_argument("--unpack-warmup", type=int, required=True)
    c.add_argument("--tree", required=True)
    c.add_argument("--crun-note", default="")
    c.add_argument("--tmp", required=True, help="the scratch directory, shown as $TMP")
    t = sub.add_parser("trace")
    t.add_argument("--json", required=True)
    t.add_argument("--commands", required=True)
    t.add_argument("--analyze-json", required=True)
    t.add_argument("--analyze-commands", required=True)
    t.add_argument("--strata", required=True)
    t.add_argument("--runs", type=int, required=True)
    t.add_argument("--warmup", type=int, required=True)
    t.add_argument("--workload", required=True)
    t.add_argument("--workload-note", default="")
    t.add_argument("--quiet-note", default="")
    t.add_argument("--out", required=True)
    v = sub.add_parser("vm")
    for name in ("--json", "--commands", "--strata", "--qemu", "--accel", "--load", "--tmp", "--out"):
        v.add_argument(name, required=True)
    v.add_argument("--runs", type=int, required=True)
    v.add_argument("--warmup", type=int, required=True)
    v.add_argument("--quiet-note", default="")
    wa = sub.add_parser("wasm")
    for name in ("--json", "--commands", "--strata", "--load", "--tmp", "--out"):
        wa.add_argument(name, required=True)
    wa.add_argument("--runs", type=int, required=True)
    wa.add_argument("--warmup", type=int, required=True)
    wa.add_argument("--quiet-note", default="")
    la = sub.add_parser("layers")
    for name in ("--tmp", "--strata", "--out", "--image"):
        la.add_argument(name, required=True)
    for name in ("--runs", "--vm-runs", "--warmup"):
        la.add_argument(name, type=int, required=True)
    sp = sub.add_parser("splice")
    sp.add_argument("--out", required=True)
    sp.add_argument("--section", required=True)
    sp.add_argument("--file", required=True)
    args = parser.parse_args()
    if args.cmd == "probe":
        probe_report(args)
    elif args.cmd == "container":
        container_report(args)
    elif args.cmd == "trace":
        trace_report(args)
    elif args.cmd == "vm":
        vm_report(args)
    elif args.cmd == "wasm":
        wasm_report(args)
    elif args.cmd == "layers":
        layers_report(args)
    elif args.cmd == "splice":
        splice(args.out, args.section, Path(args.file).read_text())
    elif args.cmd == "busy":
        before = cpu_fields()
        time.sleep(1.0)
        print(f"{busy_of(before, cpu_fields()):.0f}")
    elif args.cmd == "other-load":
        share, seconds = other_load(*args.files)
        print(f"{share:.1f}% of all CPUs used by other processes (incl. kernel threads) over {seconds:.1f} s")
    elif args.cmd == "cpustat":
        with open("/proc/stat") as f:
            print(f.readline().strip())
    else:
        write(args)


if __name__ == "__main__":
    main()
