"""Process isolation for student code: a pre-warmed zygote forks one sandbox per submission.

    grader (trusted) ──control socket──> zygote: imports numpy, matplotlib, ... once; never
                                         │       receives test code, solutions or grades
                                         └─ fork ─> leader (root, host PID namespace)
                                                    │  unshare(mount, PID, network, IPC, UTS)
                                                    └─ fork ─> student process = PID 1 of a new
                                                               PID namespace, private root,
                                                               rlimits, unprivileged uid

The student process sees a fresh root: the system and Python read-only, an empty ``/tmp`` and a
working directory holding only the assignment's files, no network, its own ``/proc``. When it
ends, the kernel kills every process of its namespace. The leader kills it when the grader asks
or goes away, so nothing of the student's outlives the session. Run as root for full isolation;
``isolation="none"`` (rlimits and a process group only) exists for machines without namespaces.
"""
from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from coursekit.sandbox.cgroups import SessionCgroup

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine, 155)
NEW_ROOT = "/mnt"                       # mount point of the private root, inside the namespace
HOME = "/home/student"

DEFAULT_PRELOAD = ("numpy", "matplotlib.pyplot", "h5py", "IPython.core.inputtransformer2")


@dataclass
class Limits:
    """What one sandboxed session may use."""
    memory_mb: int = 2048          # address space per process
    cpu_seconds: int = 300         # CPU time per process
    max_processes: int = 64        # processes of the session's uid
    max_file_mb: int = 64          # largest file it may write
    tmpfs_mb: int = 128            # /tmp and the working directory
    open_files: int = 256


@dataclass
class SessionSpec:
    """How to set up one sandbox; contains no secrets (it travels through the zygote)."""
    workdir: str                                           # name of the working directory
    files: list[tuple[str, str]] = field(default_factory=list)   # (name in workdir, host path)
    readonly_binds: list[tuple[str, str]] = field(default_factory=list)  # (host dir, name in workdir)
    limits: Limits = field(default_factory=Limits)
    isolation: str = "namespaces"                         # or "none"
    uid_base: int = 200_000                                # session uid = uid_base + leader pid


# ---------------------------------------------------------------- trusted side


class SandboxProcess:
    """The grader's handle on one running sandbox."""

    def __init__(self, session: socket.socket, control: socket.socket, leader_pid: int) -> None:
        self.socket = session
        self.control = control
        self.leader_pid = leader_pid

    def kill(self, wait: float = 5.0) -> None:
        """Kill everything in the sandbox and wait until its socket closes."""
        try:
            self.control.sendall(b"k")
        except OSError:
            pass
        self.control.close()
        deadline = time.monotonic() + wait
        self.socket.setblocking(False)
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([self.socket], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                try:
                    if not self.socket.recv(1 << 16):
                        break
                except BlockingIOError:
                    continue
                except OSError:
                    break
        finally:
            self.socket.close()


class Zygote:
    """A pre-warmed process that forks sandboxes; one per grading process."""

    def __init__(self, preload: tuple[str, ...] = DEFAULT_PRELOAD, start_timeout: float = 60.0) -> None:
        self.preload = preload
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = sandbox_environment()
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coursekit.sandbox.jail", str(theirs.fileno()), ",".join(self.preload)],
            pass_fds=[theirs.fileno()], env=env, cwd="/", start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        theirs.close()
        self.control = ours
        ours.settimeout(self.start_timeout)
        try:
            ready = ours.recv(1024)
        except TimeoutError:
            ready = b""
        ours.settimeout(None)
        if ready != b"ready":
            self.stop()
            raise RuntimeError("the sandbox zygote did not start")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def open(self, spec: SessionSpec, timeout: float = 30.0) -> SandboxProcess:
        """Fork a new sandbox set up as ``spec`` says."""
        if not self.alive():
            self.start()
        assert self.control is not None
        session_ours, session_theirs = socket.socketpair()
        control_ours, control_theirs = socket.socketpair()
        message = json.dumps(asdict(spec)).encode()
        socket.send_fds(self.control, [message], [session_theirs.fileno(), control_theirs.fileno()])
        session_theirs.close()
        control_theirs.close()
        self.control.settimeout(timeout)
        try:
            reply = json.loads(self.control.recv(1024))
        finally:
            self.control.settimeout(None)
        return SandboxProcess(session_ours, control_ours, int(reply["leader"]))

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process = None


def sandbox_environment() -> dict[str, str]:
    """A clean environment: nothing of the grader's (database URLs, tokens) reaches students."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": HOME, "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


def isolation_available() -> bool:
    """Whether this process may create the namespaces a full sandbox needs (root)."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


# ---------------------------------------------------------------- zygote side

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def _bind_readonly(host: str, target: str) -> None:
    if os.path.isdir(host):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(host, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _private_root(spec: dict, uid: int) -> str:
    """Build the student's root file system and switch to it; returns the working directory."""
    limits = spec["limits"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = NEW_ROOT
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    system = ["/usr", "/etc", "/opt"] + [p for p in ("/lib", "/lib64", "/lib32", "/bin", "/sbin")
                                         if os.path.exists(p) and not os.path.islink(p)]
    for host in system:
        if os.path.exists(host):
            _bind_readonly(host, root + host)
    for link in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(link):
            os.symlink(os.readlink(link), root + link)
    for node in ("null", "zero", "full", "random", "urandom"):
        _bind_readonly("/dev/" + node, f"{root}/dev/{node}")
        _mount(None, f"{root}/dev/{node}", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    tmpfs = f"size={limits['tmpfs_mb']}m"
    for path, mode in (("/tmp", "1777"), ("/dev/shm", "1777"), (HOME, "755")):
        os.makedirs(root + path, exist_ok=True)
        _mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"{tmpfs},mode={mode}")
    # Python after the empty /tmp: an environment that lives under /tmp (a clone there) stays visible
    python = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for host in sorted(python):
        if os.path.exists(host):
            _bind_readonly(host, root + host)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    workdir = f"{HOME}/{spec['workdir']}"
    _populate(root + workdir, spec, uid)
    for host, name in spec["readonly_binds"]:
        _bind_readonly(host, f"{root}{workdir}/{name}")
    os.chown(root + HOME, uid, uid)
    _mount(None, root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir(workdir)
    return workdir


def _populate(workdir: str, spec: dict, uid: int | None) -> None:
    """Copy the assignment's files (regular files only, never symlinks) into the workdir,
    owned by ``uid`` (None: by whoever copies them, the grader itself without namespaces)."""
    os.makedirs(workdir, exist_ok=True)
    for name, host in spec["files"]:
        target = os.path.normpath(os.path.join(workdir, name))
        if not target.startswith(workdir + os.sep) or os.path.islink(host) or not os.path.isfile(host):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(host, target)
        if uid is not None:
            os.chown(target, uid, uid)
    for directory, _, _ in os.walk(workdir):
        if uid is not None:
            os.chown(directory, uid, uid)


def _set_limits(limits: dict, count_processes: bool) -> None:
    import resource
    mb = 2**20
    pairs = [(resource.RLIMIT_AS, limits["memory_mb"] * mb),
             (resource.RLIMIT_CPU, limits["cpu_seconds"]),
             (resource.RLIMIT_FSIZE, limits["max_file_mb"] * mb),
             (resource.RLIMIT_NOFILE, limits["open_files"]),
             (resource.RLIMIT_CORE, 0)]
    if count_processes:
        pairs.append((resource.RLIMIT_NPROC, limits["max_processes"]))
    for which, value in pairs:
        resource.setrlimit(which, (value, value))


def _student(spec: dict, session_fd: int, uid: int) -> None:
    """Become the sandboxed student process, then serve the grader's requests."""
    isolated = spec["isolation"] == "namespaces"
    try:
        if isolated:
            _private_root(spec, uid)
        else:
            os.setpgid(0, 0)
            _populate(spec["host_workdir"], spec, None)   # chown(uid, uid) would fail when gid != uid
            os.chdir(spec["host_workdir"])
        _set_limits(spec["limits"], count_processes=isolated)
        if isolated:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, session_fd)
        os.closerange(session_fd + 1, 65536)
        os.environ.clear()
        os.environ.update(sandbox_environment())
        os.makedirs("/tmp/matplotlib", exist_ok=True)
        sys.path.insert(0, os.getcwd())        # as in Jupyter: the notebook's folder is importable
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
    except BaseException as exc:   # report, then die: never serve half-isolated
        try:
            from coursekit.sandbox import protocol as wire
            wire.send(socket.socket(fileno=session_fd), {"op": "setup_failed", "message": repr(exc)[:500]})
        finally:
            os._exit(70)
    from coursekit.sandbox import child
    child.serve(socket.socket(fileno=session_fd))
    os._exit(0)


def _leader(spec: dict, session_fd: int, control_fd: int) -> None:
    """Hold one session: start the student process, kill it on request or when we are orphaned."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    uid = spec["uid_base"] + os.getpid()
    cgroup = None
    if spec["isolation"] == "namespaces":
        limits = spec["limits"]
        cgroup = SessionCgroup(f"session-{os.getpid()}", limits["memory_mb"], limits["max_processes"])
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    else:
        spec["host_workdir"] = tempfile.mkdtemp(prefix="coursekit-")
    pid = os.fork()
    if pid == 0:
        os.close(control_fd)
        if cgroup is not None and cgroup.active:
            cgroup.join()
        _student(spec, session_fd, uid)
    os.close(session_fd)
    os.write(control_fd, json.dumps({"cgroup": bool(cgroup and cgroup.active)}).encode() + b"\n")
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(control_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    poller.register(pidfd, select.POLLIN)
    while True:
        events = dict(poller.poll())
        if control_fd in events:
            _kill_session(pid, spec["isolation"])
            os.waitpid(pid, 0)
            break
        if pidfd in events:
            _, status = os.waitpid(pid, 0)
            _kill_session(pid, spec["isolation"])   # stray children of a non-namespaced session
            try:
                os.write(control_fd, json.dumps({"status": status}).encode())
            except OSError:
                pass
            break
    if "host_workdir" in spec:
        shutil.rmtree(spec["host_workdir"], ignore_errors=True)
    if cgroup is not None:
        cgroup.remove()


def _kill_session(pid: int, isolation: str) -> None:
    for target in ((pid,) if isolation == "namespaces" else (pid, -pid)):
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def zygote_main(control_fd: int, preload: list[str]) -> None:
    """Import the heavy modules once, then fork a leader per session request."""
    import importlib
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)      # leaders are reaped automatically
    for name in preload:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    importlib.import_module("coursekit.sandbox.child")
    control = socket.socket(fileno=control_fd)
    control.send(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            return
        if not message:
            return
        spec = json.loads(message)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                _leader(spec, fds[0], fds[1])
            except BaseException:
                code = 71
            os._exit(code)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"leader": pid}).encode())


if __name__ == "__main__":
    zygote_main(int(sys.argv[1]), [m for m in sys.argv[2].split(",") if m])
