"""Append a dated, self-describing entry to ``benchmarks/RESULTS.md``.

Every benchmark script calls :func:`append_result` with its title, the command that ran it and the
lines of figures it printed, so that a number in RESULTS.md always says on what machine, with which
PostgreSQL and from which commit it was measured."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = """# Benchmark results

Figures appended by the scripts in `benchmarks/` (newest last); see `benchmarks/README.md` for the
commands. Each entry names the machine, the PostgreSQL version and the commit it was measured on.
"""


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what `nproc` prints
    except AttributeError:
        return os.cpu_count() or 0


def _database_version() -> str:
    """The server version of Django's default database, if Django is set up."""
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT version()")
                return str(cursor.fetchone()[0]).split(" on ")[0]
            if connection.vendor == "sqlite":
                cursor.execute("SELECT sqlite_version()")
                return f"SQLite {cursor.fetchone()[0]}"
            return connection.vendor
    except Exception:  # Django not set up, or no database: the entry says so.
        return "unknown"


def _commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def machine_description() -> list[str]:
    return [
        f"- machine: {_cpus()} CPUs (`nproc`), {_cpu_model()}, {_memory()} memory",
        f"- database: {_database_version()}",
        f"- Python {platform.python_version()}, commit {_commit()}",
    ]


def append_result(title: str, command: str, lines: list[str], *, path: Path = RESULTS_PATH) -> str:
    """Append one entry to RESULTS.md and return it; ``lines`` are Markdown (figures, notes)."""
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    entry = "\n".join(
        [
            f"## {stamp} — {title}",
            "",
            *machine_description(),
            f"- command: `{command}`",
            "",
            *lines,
            "",
        ]
    )
    if not path.exists():
        path.write_text(HEADER, encoding="utf-8")
    with path.open("a", encoding="utf-8") as results:
        results.write("\n" + entry)
    return entry
