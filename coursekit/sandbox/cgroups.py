"""Limits for a whole sandbox session (all its processes together), with Linux control groups.

rlimits bind one process at a time; a student who forks can multiply them. A session's cgroup
caps the memory and the number of processes of the session as a whole, and its CPU at one core,
so a greedy submission cannot slow down the others graded beside it. Works with cgroup v2 or
v1 (memory, pids, cpu controllers); where neither can be written, the session runs on rlimits
alone and the grader says so.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP = "coursekit"


class SessionCgroup:
    """A cgroup for one session; ``join`` from the student process, ``remove`` when it is over."""

    def __init__(self, name: str, memory_mb: int, max_processes: int, cpus: float = 1.0) -> None:
        self.dirs: list[Path] = []
        name = f"{name}-{os.urandom(4).hex()}"   # unique even when a pid is reused and a stale group remains
        limits = {"memory": memory_mb * 2**20, "pids": max_processes, "cpu": cpus}
        try:
            if (ROOT / "cgroup.controllers").exists():
                self._v2(name, limits)
            else:
                self._v1(name, limits)
        except OSError:
            self.remove()
            self.dirs = []

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    def _v2(self, name: str, limits: dict) -> None:
        parent = ROOT / GROUP
        parent.mkdir(exist_ok=True)
        for folder in (ROOT, parent):           # enable the controllers once (rewriting can fail busy)
            control = folder / "cgroup.subtree_control"
            if not {"memory", "pids", "cpu"} <= set(control.read_text().split()):
                control.write_text("+memory +pids +cpu")
        group = parent / name
        group.mkdir()
        self.dirs = [group]
        (group / "memory.max").write_text(str(limits["memory"]))
        if (group / "memory.swap.max").exists():
            (group / "memory.swap.max").write_text("0")
        (group / "pids.max").write_text(str(limits["pids"]))
        (group / "cpu.max").write_text(f"{int(limits['cpu'] * 100000)} 100000")

    def _v1(self, name: str, limits: dict) -> None:
        settings = {"memory": {"memory.limit_in_bytes": limits["memory"]},
                    "pids": {"pids.max": limits["pids"]},
                    "cpu": {"cpu.cfs_period_us": 100000, "cpu.cfs_quota_us": int(limits["cpu"] * 100000)}}
        for controller, values in settings.items():
            base = ROOT / controller
            if not base.is_dir():
                raise OSError(f"no {controller} controller")
            group = base / GROUP / name
            group.mkdir(parents=True)
            self.dirs.append(group)
            for key, value in values.items():
                (group / key).write_text(str(value))

    def join(self, pid: int | None = None) -> None:
        """Move a process (default: this one) into the session's cgroup."""
        for group in self.dirs:
            (group / "cgroup.procs").write_text(str(pid or os.getpid()))

    def remove(self) -> None:
        """Remove the cgroup once the session's processes are gone."""
        for group in self.dirs:
            try:
                group.rmdir()
            except OSError:
                pass
