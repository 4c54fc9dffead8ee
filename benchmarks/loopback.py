"""gunicorn on 127.0.0.1 and ``wrk`` against it: the HTTP path of the benchmarks.

Shared by ``bench_search.py`` (wrk at full speed against one endpoint) and ``bench_load.py`` (a
mix of simulated users with think time). Everything stays on the loopback interface, and every
run stops by itself: gunicorn is terminated when the measurement ends, wrk runs for a fixed
duration.

gunicorn is started with the interpreter that runs the script (``python -m gunicorn``), so a
worktree without its own ``.venv`` works too. Throttling is lifted in the server's environment
(:data:`LIFTED_THROTTLES`), since all load comes from one address.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time

from django_setup import PROJECT_ROOT

# All load comes from 127.0.0.1: the public throttles would answer 429 after 120 requests.
LIFTED_THROTTLES = {
    "THROTTLE_PUBLIC_RATE": "100000000/minute",
    "THROTTLE_PUBLIC_WRITE_RATE": "100000000/minute",
    "THROTTLE_PUBLIC_INVALID_RATE": "100000000/minute",
}
HOST = "127.0.0.1"


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None, *, timeout: float = 30
) -> tuple[int, float, bytes]:
    """One GET on a new connection: status, milliseconds and body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        start = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        connection.close()
    return response.status, elapsed, body


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def start_gunicorn(
    *,
    port: int,
    workers: int,
    worker_class: str = "sync",
    threads: int = 1,
    keep_alive: int | None = None,
    worker_connections: int | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start gunicorn (settings ``config.settings.base``, throttles lifted) and wait until
    ``/health/`` answers 200; exit with a message when the port is taken or it does not come
    up (so that no other server on that port is measured by mistake)."""
    if _port_in_use(port):
        sys.exit(f"Port {port} on {HOST} is in use: stop that server or choose another --port.")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    if keep_alive is not None:
        command += ["--keep-alive", str(keep_alive)]
    if worker_connections is not None:
        command += ["--worker-connections", str(worker_connections)]
    server = subprocess.Popen(  # noqa: S603
        command,
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            **LIFTED_THROTTLES,
            **(env or {}),
        },
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with code {server.returncode} before answering.")
        try:
            if http_get(port, "/health/", timeout=5)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(server)
    sys.exit("gunicorn did not answer /health/ with 200 within 60 s.")


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def run_wrk(
    *,
    port: int,
    script: str,
    connections: int,
    seconds: int,
    threads: int = 1,
    timeout_seconds: int | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run ``wrk`` with a Lua script for ``seconds`` against gunicorn; return its output."""
    command = [
        shutil.which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        script,
    ]
    if timeout_seconds is not None:
        command += ["--timeout", f"{timeout_seconds}s"]
    command.append(f"http://{HOST}:{port}")
    result = subprocess.run(  # noqa: S603
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    # wrk reports a Lua script that does not load on stderr and then runs without it.
    if result.returncode != 0 or result.stderr.strip():
        sys.exit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn workers: the processes whose parent is the arbiter."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:  # the field after the state is the parent's id
            pids.append(int(entry))
    return pids


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 on), or ``None`` for a
    process that has gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux ``/proc``)."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def database_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (the postmaster and its backends), for
    the database's share of the CPU; read again at the end of a measurement, since backends come
    and go with connections."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="ascii") as comm:
                if comm.read().strip() in {"postgres", "postmaster"}:
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def database_cpu_seconds() -> float:
    """User + system CPU time of the PostgreSQL server so far: its running processes, plus what
    the postmaster has collected from backends that have ended (their connections closed during
    the measurement, e.g. after ``CONN_MAX_AGE``), so that the difference of two readings counts
    every backend's work in between."""
    pids = set(database_pids())
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is None:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if int(fields[1]) not in pids:  # the postmaster: add its ended children (cutime, cstime)
            total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def cache_description() -> str:
    """What gunicorn uses as its cache (throttle counters; sessions are in the database)."""
    return "Redis (`REDIS_URL`)" if os.environ.get("REDIS_URL") else "local memory"
