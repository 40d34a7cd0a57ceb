"""Process isolation for student code: a pre-warmed zygote forks one sandbox per submission.

    grader (trusted) ──control socket──> zygote: imports numpy, matplotlib, ... once; never
                                         │       receives test code, solutions or grades
                                         └─ fork ─> leader (host PID namespace), forked ahead of
                                                    │  its session: cgroup, unshare(user?, mount,
                                                    │  PID, network, IPC, UTS), then waits
                                                    └─ fork ─> student process = PID 1 of a new
                                                               PID namespace, in the cgroup; once
                                                               asked: private root, rlimits, no
                                                               privileges, seccomp

Isolation modes, strongest first (``MODES``; ``choose_isolation`` picks one):

- ``root``: the grader runs as root; namespaces, a private root, a uid of its own per session,
  a cgroup.
- ``userns``: no root needed; the same namespaces inside an unprivileged user namespace; the
  student ends in a nested user namespace with no mapping and no capabilities (it shows as
  ``nobody``). Limits: rlimits per process, RLIMIT_NPROC counted inside its user namespace.
- ``landlock``: where user namespaces are refused: the host's file system, read-only except
  the session's own temporary folder (Landlock), no new sockets (seccomp), TCP denied and
  signals and abstract sockets scoped where the Landlock ABI has them; rlimits; the leader is
  a subreaper that kills every descendant when the session ends.
- ``none``: rlimits and the subreaper only (student code can read what the grader can).

Every mode but ``none`` loads a seccomp filter (``syscalls``) last, with ``no_new_privs``. In the
namespace modes Python and the kit appear at neutral paths (``layout``) and there is no ``/proc``
(its mount table and memory maps would name the host's paths).
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
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

from coursekit.sandbox import landlock, layout, syscalls
from coursekit.sandbox.cgroups import SessionCgroup
from coursekit.sandbox.rootfs import (
    CLONE_NEWUSER,
    DEVICES,
    HOME,
    MS_NODEV,
    MS_NOSUID,
    NAMESPACES,
    SYSTEM_DIRS,
    bytecode_version,
    check,
    compile_modules,
    enter_user_namespace,
    forget_bytecode,
    map_user,
    mount,
    populate,
    private_root,
    shed_root,
)

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36

MODES = ("root", "userns", "landlock", "none")      # strongest first
FULL_ISOLATION = ("root", "userns")                 # what "strict" accepts
NAMESPACED = FULL_ISOLATION                         # private root, neutral paths

# numpy.random is imported lazily by numpy 2 (5 ms in each sandbox when a cell seeds it). Not
# IPython: the grader turns IPython syntax into Python (cells.py), and its 4 MB in the image
# would cost every fork and exit of a sandbox (1.3 -> 2.0 ms a fork, measured).
DEFAULT_PRELOAD = ("numpy", "numpy.random", "matplotlib.pyplot", "h5py")


@dataclass
class Limits:
    """What one sandboxed session may use (the values come from ``SandboxedExecute``'s traits)."""
    memory_mb: int                 # address space of each process
    session_memory_mb: int         # memory of the whole session (its cgroup), where cgroups can be had
    cpu_seconds: int               # CPU time of each process
    max_processes: int             # processes of the session (see _set_limits)
    max_file_mb: int               # largest file it may write
    tmpfs_mb: int                  # /tmp and the working directory
    open_files: int                # open file descriptors of each process


@dataclass
class SessionSpec:
    """How to set up one sandbox; contains no secrets (it travels through the zygote)."""
    workdir: str                                           # name of the working directory
    limits: Limits
    isolation: str                                         # one of MODES
    uid_base: int                                          # session uid = uid_base + leader pid (root)
    files: list[tuple[str, str]] = field(default_factory=list)   # (name in workdir, host path)
    readonly_binds: list[tuple[str, str]] = field(default_factory=list)  # (host dir, name in workdir)


class IsolationUnavailable(RuntimeError):
    """The isolation asked for cannot be had on this machine."""


# ---------------------------------------------------------------- choosing a mode


def _probe_namespaces(flags: int) -> str:
    """Why this process cannot create the namespaces a sandbox needs ('' when it can)."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    uid, gid = os.geteuid(), os.getegid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                       # little but system calls here: the grader may have threads
        why = b"the probe failed"
        try:
            os.close(read)
            check(_libc.unshare(flags), "unshare")
            if flags & CLONE_NEWUSER:
                map_user(uid, gid)
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
            why = b""
        except OSError as exc:
            why = str(exc).encode()[:200]
        finally:                        # never return into the grader's code
            os.write(write, why)
            os._exit(0)
    os.close(write)
    why_bytes = os.read(read, 256)
    os.close(read)
    os.waitpid(pid, 0)
    return why_bytes.decode(errors="replace")


@functools.cache
def mode_problems() -> dict[str, str]:
    """For each mode, why this machine cannot give it ('' when it can)."""
    seccomp = "" if syscalls.available() else "pyseccomp (libseccomp) cannot be imported"
    problems = {"none": ""}
    problems["root"] = "the grader does not run as root" if os.geteuid() != 0 else \
        seccomp or _probe_namespaces(NAMESPACES)
    problems["userns"] = seccomp or _probe_namespaces(CLONE_NEWUSER | NAMESPACES)
    version = landlock.abi() if sys.platform.startswith("linux") else 0
    problems["landlock"] = seccomp or ("" if version >= 1 else "the kernel has no Landlock")
    return problems


def available_modes() -> tuple[str, ...]:
    """The modes this machine allows, strongest first."""
    return tuple(mode for mode in MODES if not mode_problems()[mode])


def choose_isolation(requested: str) -> str:
    """The mode to grade in: ``auto`` is the strongest available, ``strict`` the strongest of
    full isolation (root or userns) or an error, a mode's name that mode or an error."""
    problems = mode_problems()
    if requested == "auto":
        return available_modes()[0]
    if requested == "strict":
        for mode in FULL_ISOLATION:
            if not problems[mode]:
                return mode
        raise IsolationUnavailable("isolation = 'strict' refuses to grade without full isolation: "
                                   + "; ".join(f"{m}: {problems[m]}" for m in FULL_ISOLATION))
    if requested not in MODES:
        raise IsolationUnavailable(f"unknown isolation {requested!r} (one of auto, strict, {', '.join(MODES)})")
    if problems[requested]:
        raise IsolationUnavailable(f"isolation {requested!r} is not available here: {problems[requested]}")
    return requested


def isolation_available() -> bool:
    """Whether full isolation (root or userns) is available here."""
    return any(not mode_problems()[mode] for mode in FULL_ISOLATION)


# ---------------------------------------------------------------- trusted side


class SandboxProcess:
    """The grader's handle on one running sandbox."""

    def __init__(self, session: socket.socket, control: socket.socket, leader_pid: int,
                 spare: socket.socket | None = None) -> None:
        self.socket = session
        self.control = control
        self.leader_pid = leader_pid
        self.spare = spare            # the hidden lane's socket to the snapshot (see child.snapshot)

    def strip(self, timeout: float) -> bool:
        """Ask the leader to kill every process of the sandbox but the first (the snapshot), and
        then give the session socket to the snapshot's: True when that was done."""
        if self.spare is None:
            return False
        try:
            self.control.sendall(b"s")
            self.control.settimeout(timeout)
            reply = self.control.recv(64)
        except OSError:
            return False
        finally:
            with contextlib.suppress(OSError):
                self.control.settimeout(None)
        if reply != b"stripped\n":
            return False
        self.socket.close()
        self.socket, self.spare = self.spare, None
        return True

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
            if self.spare is not None:
                self.spare.close()


class Zygote:
    """A pre-warmed process that forks sandboxes; one per grading process.

    A zygote serves either the namespace modes (its paths rewritten to the neutral ones the
    private root shows) or the others (host paths); ``open`` restarts it when a session needs
    the other kind, so a run that keeps one mode starts it once.
    """

    def __init__(self, preload: tuple[str, ...] = DEFAULT_PRELOAD, start_timeout: float = 60.0) -> None:
        self.preload = preload
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.neutral = False

    def start(self, isolation: str = "auto") -> None:
        self.neutral = choose_isolation(isolation) in NAMESPACED
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = sandbox_environment()
        env["PYTHONPATH"] = layout.kit_root()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coursekit.sandbox.jail", str(theirs.fileno()), ",".join(self.preload),
             "neutral" if self.neutral else "host"],
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
        if self.alive() and self.neutral != (spec.isolation in NAMESPACED):
            self.stop()
        if not self.alive():
            self.start(spec.isolation)
        assert self.control is not None
        session_ours, session_theirs = socket.socketpair()
        control_ours, control_theirs = socket.socketpair()
        spare_ours, spare_theirs = socket.socketpair()
        message = json.dumps(asdict(spec)).encode()
        theirs = (session_theirs, control_theirs, spare_theirs)
        socket.send_fds(self.control, [message], [end.fileno() for end in theirs])
        for end in theirs:
            end.close()
        self.control.settimeout(timeout)
        try:
            reply = json.loads(self.control.recv(1024))
        finally:
            self.control.settimeout(None)
        return SandboxProcess(session_ours, control_ours, int(reply["leader"]), spare_ours)

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process = None


def sandbox_environment(home: str = HOME, tmp: str = "/tmp") -> dict[str, str]:
    """A clean environment: nothing of the grader's (database URLs, tokens) reaches students."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "TMPDIR": tmp,
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{tmp}/matplotlib",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


# ---------------------------------------------------------------- zygote side

_libc = ctypes.CDLL(None, use_errno=True)
_LAYOUT: tuple[tuple[str, str], ...] = ()     # (host dir, neutral path) of a neutral zygote


def _host_session(spec: dict, uid: int | None) -> str:
    """The landlock and none modes' folders in the session's private temporary directory (0700):
    the working directory (data sets linked in read-only), a home and a /tmp; owned by ``uid``
    when the grader is root."""
    base = spec["host_dir"]
    workdir = os.path.join(base, "home", spec["workdir"])
    populate(workdir, spec, uid)
    for host, name in spec["readonly_binds"]:
        target = os.path.normpath(os.path.join(workdir, name))
        if target.startswith(workdir + os.sep) and not os.path.lexists(target):
            os.symlink(host, target)
    os.makedirs(os.path.join(base, "tmp", "matplotlib"))
    if uid is not None:
        for folder in (base, f"{base}/home", f"{base}/tmp", f"{base}/tmp/matplotlib"):
            os.chown(folder, uid, uid)
    return workdir


def _set_limits(limits: dict, processes: int | None) -> None:
    """rlimits of the student process. ``processes``: its RLIMIT_NPROC. It counts the processes
    of the real uid in the process's user namespace: the session's own uid (root), the nested
    user namespace (userns), or every process of the grading user (landlock, none)."""
    import resource
    mb = 2**20
    pairs = [(resource.RLIMIT_AS, limits["memory_mb"] * mb),
             (resource.RLIMIT_CPU, limits["cpu_seconds"]),
             (resource.RLIMIT_FSIZE, limits["max_file_mb"] * mb),
             (resource.RLIMIT_NOFILE, limits["open_files"]),
             (resource.RLIMIT_CORE, 0)]
    if processes is not None:
        pairs.append((resource.RLIMIT_NPROC, processes))
    for which, value in pairs:
        resource.setrlimit(which, (value, value))


def _processes_of(uid: int) -> int:
    """How many processes ``uid`` runs now (the base RLIMIT_NPROC counts from, without a namespace)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += 1
        except OSError:
            pass
    return count


def _become(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _landlock(spec: dict) -> None:
    """Read-only: the system, Python, the data sets; read-write: the session's folder, devices."""
    python = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    data = [os.path.realpath(host) for host, _ in spec["readonly_binds"]]
    devices = [f"/dev/{node}" for node in DEVICES]
    landlock.restrict(read_only=list(SYSTEM_DIRS) + sorted(python) + data,
                      read_write=[spec["host_dir"]] + devices)


def _student(spec: dict, session_fd: int, spare_fd: int, uid: int, rules: object | None) -> None:
    """Become the sandboxed student process, then serve the grader's requests (``rules``: the
    seccomp filter, built in advance; loaded last)."""
    mode = spec["isolation"]
    limits = spec["limits"]
    try:
        if mode in NAMESPACED:
            private_root(spec, uid, layout.mounts(_LAYOUT))
            environment = sandbox_environment()
        else:
            os.setpgid(0, 0)
            os.chdir(_host_session(spec, uid or None))
            environment = sandbox_environment(os.path.join(spec["host_dir"], "home"),
                                              os.path.join(spec["host_dir"], "tmp"))
            tempfile.tempdir = environment["TMPDIR"]
        if mode == "userns":
            if uid:                                # the grader is root: 1 is the session's own uid
                _become(uid)
            shed_root()
            _set_limits(limits, limits["max_processes"])
        elif uid:                                  # root, or landlock and none as root: a uid of its own
            _set_limits(limits, limits["max_processes"])
            _become(uid)
        else:
            _set_limits(limits, _processes_of(os.getuid()) + limits["max_processes"])
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        low = 3
        for fd in sorted((session_fd, spare_fd)):
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, 65536)
        os.environ.clear()
        os.environ.update(environment)
        os.makedirs(environment["MPLCONFIGDIR"], exist_ok=True)
        sys.path.insert(0, os.getcwd())        # as in Jupyter: the notebook's folder is importable
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        if mode == "landlock":
            _landlock(spec)
        spec.clear()                           # host paths of the course's files: not the student's
        forget_bytecode()                      # nor the .pyc compiled from them, keyed by them
        if rules is not None:
            rules.load()  # type: ignore[attr-defined]
    except BaseException as exc:   # report, then die: never serve half-isolated
        try:
            import traceback

            from coursekit.sandbox import protocol as wire
            where = traceback.extract_tb(exc.__traceback__)[-1]
            wire.send(socket.socket(fileno=session_fd),
                      {"op": "setup_failed", "message": f"{exc!r} in {where.name}, line {where.lineno}"[:500]})
        finally:
            os._exit(70)
    from coursekit.sandbox import child
    child.serve(socket.socket(fileno=session_fd), socket.socket(fileno=spare_fd))
    os._exit(0)


SETUP = ("isolation", "uid_base", "limits")   # what a leader is prepared from (see _leader)


def _leader(setup: dict, channel: socket.socket) -> None:
    """Hold one session. Forked by the zygote ahead of its session (``_Standby``), it prepares
    what depends only on ``setup`` — the cgroup, the namespaces, the student process forked into
    them, in its cgroup, with its seccomp filter built — and waits on ``channel``; then the
    request arrives (the spec and the session's three sockets), the student process sets up
    the rest and serves, and the leader kills it on request or when we are orphaned."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    mode = setup["isolation"]
    uid = setup["uid_base"] + os.getpid() if os.geteuid() == 0 else 0   # the session's own uid
    cgroup = None
    host_dir = None
    if mode in NAMESPACED:
        limits = setup["limits"]
        cgroup = SessionCgroup(f"session-{os.getpid()}", limits["session_memory_mb"], limits["max_processes"])
        if mode == "userns":
            uid = enter_user_namespace(NAMESPACES, setup["uid_base"] + os.getpid())
        else:
            check(_libc.unshare(NAMESPACES), "unshare")
    else:
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)   # orphans of the session come back to us
        host_dir = tempfile.mkdtemp(prefix="coursekit-")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        channel.close()
        ours.close()
        if cgroup is not None and cgroup.active:
            cgroup.join()            # waits out a grace period of the kernel's: done before the request
        _student_when_asked(theirs, mode, uid)
    theirs.close()
    reaped = False
    try:
        request = _request(channel)
        if request is None:          # the zygote is gone, or sent something else
            return
        spec, (session_fd, control_fd, spare_fd) = request
        reaped = os.waitpid(pid, os.WNOHANG)[0] == pid
        if reaped:                   # the student process died waiting: the zygote forks another leader
            return
        if host_dir is not None:
            spec["host_dir"] = host_dir
        socket.send_fds(ours, [json.dumps(spec).encode()], [session_fd, spare_fd])
        channel.send(b"1")           # taken
        for end in (session_fd, spare_fd, ours.detach(), channel.detach()):
            os.close(end)
        os.write(control_fd, json.dumps({"cgroup": bool(cgroup and cgroup.active)}).encode() + b"\n")
        reaped = _hold(pid, mode, control_fd)
    finally:                   # also when the grader is gone before we could tell it anything
        _kill_session(None if reaped else pid, mode)
        if host_dir is not None:
            shutil.rmtree(host_dir, ignore_errors=True)
        if cgroup is not None:
            cgroup.remove()


def _request(channel: socket.socket, count: int = 3) -> tuple[dict, list[int]] | None:
    """One session request (a spec and ``count`` sockets) from ``channel``; None at its end."""
    try:
        message, fds, _, _ = socket.recv_fds(channel, 1 << 20, count)
    except OSError:
        return None
    if not message or len(fds) != count:
        for fd in fds:
            os.close(fd)
        return None
    return json.loads(message), fds


def _student_when_asked(channel: socket.socket, mode: str, uid: int) -> None:
    """The student process before its session: in the session's namespaces and cgroup, with
    its seccomp filter built; it waits for the spec and its two sockets from the leader."""
    code = 70
    try:
        rules = syscalls.build(deny_sockets=mode == "landlock") if mode != "none" else None
        request = _request(channel, 2)
        channel.close()
        if request is not None:
            spec, (session_fd, spare_fd) = request
            _student(spec, session_fd, spare_fd, uid, rules)
        code = 0
    finally:
        os._exit(code)


class _Standby:
    """A leader forked ahead of the session it will hold (see ``_leader``)."""

    def __init__(self, setup: dict, control: socket.socket, inherited: tuple[int, ...] = ()) -> None:
        """``inherited``: descriptors the zygote holds now that the leader must not keep (a
        session's sockets, which a crash of its student could then not close)."""
        self.setup = setup
        self.bytecode = bytecode_version()   # what it inherits: this assignment's modules only
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            code = 0
            try:
                control.close()
                ours.close()
                for fd in inherited:
                    os.close(fd)
                _leader(setup, theirs)
            except BaseException:
                code = 71
            os._exit(code)
        theirs.close()
        self.channel = ours

    def hand(self, message: bytes, fds: list[int], timeout: float = 10.0) -> bool:
        """Give this leader its session's request: True once it took it; False if it is gone or
        its student process died waiting (the channel is closed either way)."""
        try:
            socket.send_fds(self.channel, [message], fds)
            self.channel.settimeout(timeout)
            return self.channel.recv(1) == b"1"
        except OSError:
            return False
        finally:
            self.channel.close()


def _hold(pid: int, mode: str, control_fd: int) -> bool:
    """Wait until the grader asks for the end (or goes away), or the student process ends and
    is reaped (then True)."""
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(control_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    poller.register(pidfd, select.POLLIN)
    while True:
        events = dict(poller.poll())
        if control_fd in events:
            try:
                request = os.read(control_fd, 1)
            except OSError:
                request = b""
            if request != b"s":
                return False
            os.write(control_fd, b"stripped\n" if _strip(pid) else b"not stripped\n")
            continue
        if pidfd in events:
            _, status = os.waitpid(pid, 0)
            try:
                os.write(control_fd, json.dumps({"status": status}).encode())
            except OSError:
                pass
            return True


def _strip(pid: int, seconds: float = 2.0) -> bool:
    """Kill every living process of the session but the student process ``pid`` (its children,
    theirs, and orphans handed to this leader); False if some are still alive after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        others = [p for p in _descendants(os.getpid()) if p != pid]
        if not others:
            return True
        for target in others:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(target, signal.SIGKILL)
        time.sleep(0.001)
    return False


def _kill_session(pid: int | None, mode: str) -> None:
    """Kill the student process (``None``: it was reaped already, its pid may be reused); without
    a PID namespace, every descendant of this leader too (a subreaper: processes that
    double-forked or left the process group are still ours)."""
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, PermissionError, ChildProcessError):
            pass
    if mode in NAMESPACED:         # PID 1 of its namespace: the kernel killed the rest with it
        return
    for _ in range(10_000):
        alive = _descendants(os.getpid())
        for target in alive:
            try:
                os.kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not alive:
            return
        time.sleep(0.001)


def _descendants(ancestor: int) -> list[int]:
    """Processes below ``ancestor`` that are not zombies, from /proc: through each process's
    list of children (the session's processes only), else by reading every process."""
    try:
        return _descendants_by_children(ancestor)
    except OSError:
        return _descendants_by_scan(ancestor)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            found.extend(int(child) for child in listing.read().split())
    return found


def _descendants_by_children(ancestor: int) -> list[int]:
    if not os.path.exists(f"/proc/{ancestor}/task/{ancestor}/children"):
        raise OSError("no children lists in /proc (CONFIG_PROC_CHILDREN)")
    found, todo, seen = [], _children(ancestor), {ancestor}
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            todo.extend(_children(pid))
        except OSError:              # gone meanwhile
            continue
        if stat[stat.rindex(")") + 2:].split()[0] != "Z":
            found.append(pid)
    return found


def _descendants_by_scan(ancestor: int) -> list[int]:
    children: dict[int, list[int]] = {}
    living: set[int] = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        if fields[0] != "Z":
            living.add(int(entry))
    found, todo = [], list(children.get(ancestor, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return [pid for pid in found if pid in living]


def zygote_main(control_fd: int, preload: list[str], neutral: bool) -> None:
    """Import the heavy modules once, then fork a leader per session request."""
    import importlib
    global _LAYOUT
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)      # leaders are reaped automatically
    for name in preload + ["resource", "coursekit.sandbox.child", "coursekit.sandbox.protocol"]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    if syscalls.available():
        import pyseccomp  # noqa: F401  (loaded before any sandbox exists)
    if neutral:
        _LAYOUT = layout.host_layout()
        layout.rewrite(_LAYOUT)
    control = socket.socket(fileno=control_fd)
    control.send(b"ready")
    standby: _Standby | None = None
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
        except OSError:
            return
        if not message:
            return
        setup = _start_session(control, message, fds, standby)
        del message                              # host paths: not in the next leader's memory
        standby = _Standby(setup, control)       # the next session's leader, prepared meanwhile


def _start_session(control: socket.socket, message: bytes, fds: list[int], standby: _Standby | None) -> dict:
    """Hand one session request to the standby leader (or to a new one, if the standby was
    prepared for another setup or is gone) and tell the grader its pid; returns the setup."""
    spec = json.loads(message)
    compile_modules(spec["files"])           # once per module version, kept for later forks
    setup = {key: spec[key] for key in SETUP}
    del spec                                 # its host paths: not in a leader forked below
    leader = standby if (standby is not None and standby.setup == setup
                         and standby.bytecode == bytecode_version()) else None
    if standby is not None and leader is None:
        standby.channel.close()              # prepared for another setup or assignment: it ends
    if leader is None or not leader.hand(message, fds):
        leader = _Standby(setup, control, tuple(fds))
        leader.hand(message, fds)            # if even this fails, the session's sockets close
    for fd in fds:
        os.close(fd)
    control.send(json.dumps({"leader": leader.pid}).encode())
    return setup


if __name__ == "__main__":
    zygote_main(int(sys.argv[1]), [m for m in sys.argv[2].split(",") if m], sys.argv[3:] == ["neutral"])
