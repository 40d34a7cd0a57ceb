"""Process isolation for student code: a pre-warmed zygote forks one sandbox per submission.

    grader (trusted) ──control socket──> zygote: imports numpy, matplotlib, ... once; never
                                         │       receives test code, solutions or grades
                                         └─ fork ─> leader (host PID namespace)
                                                    │  unshare(user?, mount, PID, network, IPC, UTS)
                                                    └─ fork ─> student process = PID 1 of a new
                                                               PID namespace, private root,
                                                               rlimits, no privileges, seccomp

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

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
ST_RELATIME = 4096
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 24, 38, 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine, 155)
NEW_ROOT = "/mnt"                       # mount point of the private root, inside the namespace
HOME = "/home/student"

MODES = ("root", "userns", "landlock", "none")      # strongest first
FULL_ISOLATION = ("root", "userns")                 # what "strict" accepts
NAMESPACED = FULL_ISOLATION                         # private root, neutral paths
SYSTEM_DIRS = ("/usr", "/etc", "/opt", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
DEVICES = ("null", "zero", "full", "random", "urandom")

DEFAULT_PRELOAD = ("numpy", "matplotlib.pyplot", "h5py", "IPython.core.inputtransformer2")


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
            _check(_libc.unshare(flags), "unshare")
            if flags & CLONE_NEWUSER:
                _map_user(uid, gid)
            _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
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


def sandbox_environment(home: str = HOME, tmp: str = "/tmp") -> dict[str, str]:
    """A clean environment: nothing of the grader's (database URLs, tokens) reaches students."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "TMPDIR": tmp,
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{tmp}/matplotlib",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


# ---------------------------------------------------------------- zygote side

_libc = ctypes.CDLL(None, use_errno=True)
_LAYOUT: tuple[tuple[str, str], ...] = ()     # (host dir, neutral path) of a neutral zygote


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def _map_user(uid: int, gid: int) -> None:
    """Map root of the user namespace just created to ``uid``/``gid`` (the one mapping an
    unprivileged process may write for itself)."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")


def _enter_user_namespace(flags: int, own: int) -> int:
    """unshare(CLONE_NEWUSER | flags) and map it; returns the uid the student should take in it.

    Unprivileged: 0 is the grading user (the student later sheds it for an unmapped uid).
    As root: 0 is root and 1 the session's own uid ``own``, which only a process outside the
    namespace may map, so a helper forked before the unshare writes the maps.
    """
    uid, gid = os.geteuid(), os.getegid()
    if uid != 0:
        _check(_libc.unshare(CLONE_NEWUSER | flags), "unshare")
        _map_user(uid, gid)
        return 0
    read, write = os.pipe()
    mapper = os.fork()
    if mapper == 0:
        code = 1
        try:
            os.close(write)
            if os.read(read, 1):
                leader = os.getppid()
                Path(f"/proc/{leader}/uid_map").write_text(f"0 0 1\n1 {own} 1")
                Path(f"/proc/{leader}/gid_map").write_text(f"0 0 1\n1 {own} 1")
                code = 0
        finally:
            os._exit(code)
    os.close(read)
    try:
        _check(_libc.unshare(CLONE_NEWUSER | flags), "unshare")
        os.write(write, b"x")
    finally:
        os.close(write)
        _, status = os.waitpid(mapper, 0)
    if status != 0:
        raise OSError("could not map the session's user namespace")
    return 1


def _kept_flags(host: str) -> int:
    """The host mount's flags a remount must keep: a user namespace may not clear them."""
    flags = os.statvfs(host).f_flag
    kept = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    return kept | (MS_RELATIME if flags & ST_RELATIME else 0)


def _bind_readonly(host: str, target: str, extra: int = MS_NOSUID | MS_NODEV) -> None:
    if os.path.isdir(host):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(host, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | extra | _kept_flags(host))


def _private_root(spec: dict, uid: int) -> str:
    """Build the student's root file system and switch to it; returns the working directory."""
    limits = spec["limits"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = NEW_ROOT
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    for host in SYSTEM_DIRS:
        if os.path.islink(host):
            os.symlink(os.readlink(host), root + host)
        elif os.path.isdir(host):
            _bind_readonly(host, root + host)
    for node in DEVICES:
        _bind_readonly("/dev/" + node, f"{root}/dev/{node}", extra=MS_NOSUID)
    tmpfs = f"size={limits['tmpfs_mb']}m"
    for path, mode in (("/tmp", "1777"), ("/dev/shm", "1777"), (HOME, "755")):
        os.makedirs(root + path, exist_ok=True)
        _mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"{tmpfs},mode={mode}")
    for host, neutral in layout.mounts(_LAYOUT):     # Python and the kit, at neutral paths
        _bind_readonly(host, root + neutral)
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
    """Copy the assignment's files (regular files only, never symlinks) into the workdir, owned
    by ``uid`` (``None``: by whoever copies them)."""
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


def _host_session(spec: dict, uid: int | None) -> str:
    """The landlock and none modes' folders in the session's private temporary directory (0700):
    the working directory (data sets linked in read-only), a home and a /tmp; owned by ``uid``
    when the grader is root."""
    base = spec["host_dir"]
    workdir = os.path.join(base, "home", spec["workdir"])
    _populate(workdir, spec, uid)
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


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _shed_root() -> None:
    """Leave the setup's user namespace for a nested one with no mapping, and drop every
    capability there: the student is an unmapped uid (``nobody``) that can do nothing a
    capability allows, in any namespace."""
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(user)")
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data), "capset")


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


def _student(spec: dict, session_fd: int, uid: int) -> None:
    """Become the sandboxed student process, then serve the grader's requests."""
    mode = spec["isolation"]
    limits = spec["limits"]
    try:
        if mode in NAMESPACED:
            _private_root(spec, uid)
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
            _shed_root()
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
        os.closerange(3, session_fd)
        os.closerange(session_fd + 1, 65536)
        os.environ.clear()
        os.environ.update(environment)
        os.makedirs(environment["MPLCONFIGDIR"], exist_ok=True)
        sys.path.insert(0, os.getcwd())        # as in Jupyter: the notebook's folder is importable
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        if mode == "landlock":
            _landlock(spec)
        spec.clear()                           # host paths of the course's files: not the student's
        if mode != "none":
            syscalls.apply(deny_sockets=mode == "landlock")
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
    child.serve(socket.socket(fileno=session_fd))
    os._exit(0)


def _leader(spec: dict, session_fd: int, control_fd: int) -> None:
    """Hold one session: start the student process, kill it on request or when we are orphaned."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    mode = spec["isolation"]
    uid = spec["uid_base"] + os.getpid() if os.geteuid() == 0 else 0   # the session's own uid
    cgroup = None
    if mode in NAMESPACED:
        limits = spec["limits"]
        cgroup = SessionCgroup(f"session-{os.getpid()}", limits["session_memory_mb"], limits["max_processes"])
        if mode == "userns":
            uid = _enter_user_namespace(NAMESPACES, spec["uid_base"] + os.getpid())
        else:
            _check(_libc.unshare(NAMESPACES), "unshare")
    else:
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)   # orphans of the session come back to us
        spec["host_dir"] = tempfile.mkdtemp(prefix="coursekit-")
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
            _kill_session(pid, mode)
            break
        if pidfd in events:
            _, status = os.waitpid(pid, 0)
            _kill_session(pid, mode)   # stray children of a session without a PID namespace
            try:
                os.write(control_fd, json.dumps({"status": status}).encode())
            except OSError:
                pass
            break
    if "host_dir" in spec:
        shutil.rmtree(spec["host_dir"], ignore_errors=True)
    if cgroup is not None:
        cgroup.remove()


def _kill_session(pid: int, mode: str) -> None:
    """Kill the student process; without a PID namespace, every descendant of this leader too
    (a subreaper: processes that double-forked or left the process group are still ours)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if mode in NAMESPACED:         # PID 1 of its namespace: the kernel kills the rest
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
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
    """Processes below ``ancestor`` that are not zombies, from /proc."""
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
    zygote_main(int(sys.argv[1]), [m for m in sys.argv[2].split(",") if m], sys.argv[3:] == ["neutral"])
