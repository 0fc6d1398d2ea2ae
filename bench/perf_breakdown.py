#!/usr/bin/env python3
"""Groups `perf script` call-chain samples into where the CPU time went.

Reads the text of `perf script` on stdin: cpu-clock samples recorded with -g,
plus sched:sched_process_fork events, recorded under a shell loop that runs the
sandbox runner again and again. Prints JSON {role: {bucket: nanoseconds}}, a
sample weighing its period (cpu-clock periods are nanoseconds).

The role of a process is found from the fork events, by its distance from the
loop's shell: "runner" (the runner's own process, e.g. `strata`),
"sandbox child" (the process it cloned into the new namespaces, which builds
the root and stays as pid 1), "workload before exec" (the process forked to
exec the command, until its exec), "workload after exec" (the command
itself), "loop" (the driving shell, --root, and its forks before they exec;
not part of a run). Recorded machine-wide (-a), samples of kernel threads go to
"kernel threads", bucketed by the workqueue function they ran (e.g.
"work: cleanup_net", the deferred teardown of network namespaces) or "RCU
callbacks"; samples of all other processes go to "other processes". A bucket
of the runner's processes is
  - "syscall NAME" for a kernel sample inside a system call (named after the
    function do_syscall_64 called, so clone and clone3 both read "clone");
  - "syscall return: ..." for work done on the way back to user space
    (task_work such as the deferred release of closed mounts, rescheduling);
  - "page fault" for a page fault taken in user space;
  - "process start/exit (kernel)" for kernel work outside any system call;
  - "user: DSO" for a user-space sample, named after the shared object.
"""
import argparse
import json
import re
import sys
from collections import Counter, defaultdict

HEADER = re.compile(r"^(\S.*?)\s+(\d+)\s+(?:\[\d+\]\s+)?[\d.]+:\s+(\d+)\s+cpu-clock\S*:")
FORK = re.compile(r"sched:sched_process_fork:.*\spid=(\d+)\s.*child_pid=(\d+)")
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.+?)\s+\((.+)\)\s*$")
PREFIXES = ("__x64_sys_", "__do_sys_", "__se_sys_", "ksys_", "__sys_", "do_sys_", "kernel_")
ALIASES = {"mmap_pgoff": "mmap", "vm_mmap_pgoff": "mmap", "clone3": "clone", "umount": "umount2"}
SKIP = ("x64_sys_call", "syscall_exit_to_user_mode", "syscall_exit_to_user_mode_prepare")


def syscall_name(func: str) -> str:
    for prefix in PREFIXES:
        if func.startswith(prefix):
            func = func[len(prefix):]
            break
    func = re.sub(r"\.(isra|constprop|part)\.\d+$", "", func)
    return ALIASES.get(func, func)


def bucket(frames):
    kernel = [func.split("+")[0] for func, dso in frames if dso == "[kernel.kallsyms]"]
    if not kernel:
        if not frames:
            return "user: [unknown]"
        dso = frames[0][1].rsplit("/", 1)[-1]
        if dso.startswith("ld-linux"):
            return "user: dynamic loader (ld.so)"
        return f"user: {dso}"
    if "exit_to_user_mode_loop" in kernel:
        inner = kernel[: kernel.index("exit_to_user_mode_loop")]
        if "task_work_run" in inner:
            return "syscall return: task_work (deferred fput/unmount)"
        if "schedule" in inner or "__schedule" in inner:
            return "syscall return: reschedule"
        return "syscall return: other"
    if "do_syscall_64" in kernel:
        j = kernel.index("do_syscall_64") - 1
        while j >= 0 and kernel[j] in SKIP:
            j -= 1
        return "syscall " + (syscall_name(kernel[j]) if j >= 0 else "?")
    if "asm_exc_page_fault" in kernel or "exc_page_fault" in kernel:
        return "page fault"
    outer = kernel[-1]
    if outer.startswith("ret_from_fork"):
        return "process start/exit (kernel)"
    if outer.startswith(("asm_sysvec", "asm_common_interrupt", "common_interrupt", "sysvec_")):
        return "interrupts"
    return f"kernel other ({outer})"


KERNEL_THREADS = ("kworker", "ksoftirqd", "rcu")


def kernel_thread_bucket(frames):
    names = [func.split("+")[0] for func, dso in frames if dso == "[kernel.kallsyms]"]
    if "process_one_work" in names:
        i = names.index("process_one_work")
        return "work: " + (names[i - 1] if i > 0 else "?")
    if "rcu_do_batch" in names or "rcu_core" in names:
        return "RCU callbacks"
    return "other"


def role_of(pid, comm, parent, comms, root):
    chain = [pid]
    while chain[-1] != root and chain[-1] in parent:
        chain.append(parent[chain[-1]])
    if chain[-1] != root:
        return "kernel threads" if comm.startswith(KERNEL_THREADS) else "other processes"
    depth = len(chain) - 1  # the loop's shell is depth 0
    if depth == 0:
        return "loop"
    runner_comm = comms.get(chain[-2], set())  # the loop's child, after it exec'd the runner
    if depth == 1:
        return "runner" if comm != "bash" else "loop"
    if depth == 2:
        return "sandbox child"
    if comm in runner_comm:
        return "workload before exec"
    return "workload after exec"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=int, required=True, help="pid of the shell loop that ran the runner")
    args = parser.parse_args()
    samples = []  # (pid, comm, period, frames)
    parent = {}
    comms = {}
    comm, pid, period, frames = None, 0, 0, []

    def flush():
        if comm is not None:
            samples.append((pid, comm, period, frames))

    for line in sys.stdin:
        if not line.strip():
            continue
        if not line[0].isspace():
            fork = FORK.search(line)
            head = HEADER.match(line)
            if fork or head:
                flush()
                comm = None
            if fork:
                parent[int(fork.group(2))] = int(fork.group(1))
                continue
            if head:
                comm, pid, period, frames = head.group(1), int(head.group(2)), int(head.group(3)), []
                comms.setdefault(pid, set()).add(comm)
                continue
        frame = FRAME.match(line)
        if frame and comm is not None:
            frames.append((frame.group(1), frame.group(2)))
    flush()
    weights = defaultdict(Counter)
    for pid_, comm_, period_, frames_ in samples:
        role = role_of(pid_, comm_, parent, comms, args.root)
        if role == "kernel threads":
            weights[role][kernel_thread_bucket(frames_)] += period_
            continue
        if role == "other processes":
            weights[role]["swapper (idle)" if comm_.startswith("swapper") else "busy"] += period_
            continue
        name = bucket(frames_)
        if role == "loop" and name == "syscall execve" and pid_ in parent:
            role = "runner"  # the exec of the runner itself, sampled before the comm changed
        weights[role][name] += period_
    json.dump({r: dict(v) for r, v in weights.items()}, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
