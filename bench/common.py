"""Shared helpers for benchmarks: run a shell pipeline and report wall time, CPU and peak RSS of
each process in it (from wait4's rusage)."""
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTD = os.environ.get("RTD_BIN", os.path.join(ROOT, ".build", "release", "rtd"))


def run_pipeline(stages, stdout=subprocess.DEVNULL):
    """stages: list of argv lists, piped together. Returns wall seconds and per-stage rusage."""
    procs = []
    prev = None
    start = time.monotonic()
    for i, argv in enumerate(stages):
        last = i == len(stages) - 1
        p = subprocess.Popen(argv, stdin=prev, stdout=stdout if last else subprocess.PIPE, stderr=subprocess.DEVNULL)
        if prev is not None:
            prev.close()
        prev = p.stdout
        procs.append(p)
    usage = []
    for p in procs:
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        usage.append({"cpu_s": ru.ru_utime + ru.ru_stime, "max_rss_mb": ru.ru_maxrss / 1024, "status": p.returncode})
    return time.monotonic() - start, usage


def rss_mb(pid):
    """Resident memory of a live process, in MB (from /proc)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(procs):
    """Terminates processes, killing those that do not exit within 10 s."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
