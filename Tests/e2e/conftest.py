import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rtd_binary():
    path = os.environ.get("RTD_BIN") or os.path.join(ROOT, ".build", "release", "rtd")
    if not os.path.exists(path):
        pytest.exit(f"rtd binary not found at {path}: build it first (swift build -c release) or set RTD_BIN")
    return path


@pytest.fixture(scope="session")
def rtd():
    return rtd_binary()


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(args, **kw)


def ffprobe(path, *extra):
    out = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
               "stream=codec_name,width,height,r_frame_rate,nb_read_frames", "-of", "json", *extra, str(path)],
              check=True)
    import json
    return json.loads(out.stdout)["streams"][0]


def y4m_frames(data: bytes):
    """Splits a Y4M byte string into (stream header, [(frame header, payload)])."""
    nl = data.index(b"\n")
    header = data[:nl].decode()
    params = dict((p[0], p[1:]) for p in header.split()[1:])
    w, h = int(params["W"]), int(params["H"])
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    pos = nl + 1
    frames = []
    while pos < len(data):
        e = data.index(b"\n", pos)
        fh = data[pos:e].decode()
        assert fh.startswith("FRAME"), fh
        frames.append((fh, data[e + 1:e + 1 + size]))
        pos = e + 1 + size
    return header, frames


def frame_params(fh: str):
    return dict(p.split("=", 1) for p in fh.split()[1:] if "=" in p)


def run_on_terminal(argv, stdout_to_devnull=False):
    """Runs argv with a pseudo-terminal as stderr (and stdout unless told otherwise); returns
    (exit status, everything it wrote to the terminal)."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        if stdout_to_devnull:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execv(argv[0], argv)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status), out


@contextlib.contextmanager
def veth_namespace(prefix):
    """A network namespace joined to this one by a veth pair (10.x.y.1 here, .2 inside). Browsers
    gather no loopback candidates, so a server a browser must reach runs in one. Yields
    (name, our address, its address, its interface); deleting the namespace takes the pair and
    any firewall rules made inside with it."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("a network namespace needs root and iproute2")
    tag = f"{os.getpid() % 100000}{random.randrange(100)}"
    name, here_if, there_if = f"{prefix}{tag}", f"v{prefix}{tag}", f"v{prefix}0"
    net = f"10.{random.randrange(150, 250)}.{random.randrange(256)}"
    here, there = f"{net}.1", f"{net}.2"

    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True)
    ip("netns", "add", name)
    try:
        ip("link", "add", here_if, "type", "veth", "peer", "name", there_if, "netns", name)
        ip("addr", "add", f"{here}/30", "dev", here_if)
        ip("link", "set", here_if, "up")
        ip("-n", name, "addr", "add", f"{there}/30", "dev", there_if)
        ip("-n", name, "link", "set", there_if, "up")
        ip("-n", name, "link", "set", "lo", "up")
        yield name, here, there, there_if
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def firewall(namespace, *rule):
    """One iptables rule inside `namespace`."""
    subprocess.run(["ip", "netns", "exec", namespace, "iptables", *rule], check=True, capture_output=True)


def stop(p):
    """Ends a process the test started: SIGTERM, then SIGKILL after 10 s."""
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


@contextlib.contextmanager
def serve_in(namespace, rtd, host, port, *args, stderr=subprocess.DEVNULL):
    """`rtd serve --host HOST --port PORT ARGS` inside `namespace`; yields (process, its first
    line) once it says where it serves, and stops it after."""
    server = subprocess.Popen(["ip", "netns", "exec", namespace, rtd, "serve", "--host", host, "--port", str(port), *args],
                              stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        line = server.stdout.readline()
        assert "rtd serve: http://" in line, line
        yield server, line
    finally:
        stop(server)
