"""The student's file system and credentials in the namespace modes (``root``, ``userns``).

A private root on a tmpfs: the system read-only, Python and the kit at neutral paths, an empty
``/tmp``, ``/dev/shm`` and home, the working directory with the assignment's files, data sets
read-only, no ``/proc``; then ``pivot_root`` and the old root detached. Remounts keep the host
mount's flags a user namespace may not clear (nosuid, nodev, noexec, atime). In ``userns`` the
session's user namespace maps its root to the grading user, and the student leaves it for a
nested one with no mapping and no capabilities.
"""
from __future__ import annotations

import ctypes
import importlib.util
import marshal
import os
import shutil
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
ST_RELATIME = 4096
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine, 155)
NEW_ROOT = "/mnt"                       # mount point of the private root, inside the namespace
HOME = "/home/student"

SYSTEM_DIRS = ("/usr", "/etc", "/opt", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)


def check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def map_user(uid: int, gid: int) -> None:
    """Map root of the user namespace just created to ``uid``/``gid`` (the one mapping an
    unprivileged process may write for itself)."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")


def enter_user_namespace(flags: int, own: int) -> int:
    """unshare(CLONE_NEWUSER | flags) and map it; returns the uid the student should take in it.

    Unprivileged: 0 is the grading user (the student later sheds it for an unmapped uid).
    As root: 0 is root and 1 the session's own uid ``own``, which only a process outside the
    namespace may map, so a helper forked before the unshare writes the maps.
    """
    uid, gid = os.geteuid(), os.getegid()
    if uid != 0:
        check(_libc.unshare(CLONE_NEWUSER | flags), "unshare")
        map_user(uid, gid)
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
        check(_libc.unshare(CLONE_NEWUSER | flags), "unshare")
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


def bind_readonly(host: str, target: str, extra: int = MS_NOSUID | MS_NODEV) -> None:
    if os.path.isdir(host):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(host, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | extra | _kept_flags(host))


def private_root(spec: dict, uid: int, neutral: list[tuple[str, str]]) -> str:
    """Build the student's root file system and switch to it; returns the working directory.

    In a mount namespace of the student process's own: pivot_root moves the root of every
    process of its namespace, and the session's leader must keep the host's /proc and /sys (to
    find the session's processes and remove its cgroup)."""
    limits = spec["limits"]
    check(_libc.unshare(CLONE_NEWNS), "unshare(mount)")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = NEW_ROOT
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    for host in SYSTEM_DIRS:
        if os.path.islink(host):
            os.symlink(os.readlink(host), root + host)
        elif os.path.isdir(host):
            bind_readonly(host, root + host)
    for node in DEVICES:
        bind_readonly("/dev/" + node, f"{root}/dev/{node}", extra=MS_NOSUID)
    tmpfs = f"size={limits['tmpfs_mb']}m"
    for path, mode in (("/tmp", "1777"), ("/dev/shm", "1777"), (HOME, "755")):
        os.makedirs(root + path, exist_ok=True)
        mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"{tmpfs},mode={mode}")
    for host, path in neutral:                     # Python and the kit, at neutral paths
        bind_readonly(host, root + path)
    workdir = f"{HOME}/{spec['workdir']}"
    populate(root + workdir, spec, uid)
    for host, name in spec["readonly_binds"]:
        bind_readonly(host, f"{root}{workdir}/{name}")
    os.chown(root + HOME, uid, uid)
    mount(None, root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(root)
    check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir(workdir)
    return workdir


_bytecode: dict[tuple[str, int, int], bytes] = {}   # (host file, mtime, size) -> its .pyc


def _version(host: str) -> tuple[str, int, int] | None:
    try:
        stat = os.stat(host)
    except OSError:
        return None
    return host, stat.st_mtime_ns, stat.st_size


def compile_modules(files: list[tuple[str, str]]) -> None:
    """In the zygote, before it forks a session: the bytecode of the assignment's modules,
    compiled once per grading process and file version, for ``populate`` to put in the
    workdir's ``__pycache__`` (importing them in every sandbox would compile them every time).
    Hash-checked pycs (PEP 552): a module changed in the sandbox is compiled again as usual;
    the file names inside are the workdir's, never the course's. Only this session's files are
    kept: a sandbox inherits the zygote's memory, and must not find another assignment's modules
    (cnn_application's fast_layers.py answers cnn_layers) there."""
    wanted = {host for _, host in files}
    for other in [kept for kept in _bytecode if kept[0] not in wanted]:
        del _bytecode[other]
    for name, host in files:
        key = _version(host)
        if not name.endswith(".py") or key is None or key in _bytecode or os.path.islink(host):
            continue
        try:
            with open(host, "rb") as file:
                source = file.read()
            code = compile(source, name, "exec", dont_inherit=True)
        except (OSError, SyntaxError, ValueError):
            continue                       # the sandbox compiles it and reports the error itself
        _bytecode[key] = (importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little")
                          + importlib.util.source_hash(source) + marshal.dumps(code))


def bytecode_version() -> int:
    """Which modules' bytecode this process holds (no path in it): a leader forked with other
    modules' bytecode than a session's is not given that session (jail._start_session)."""
    return hash(frozenset(_bytecode))


def forget_bytecode() -> None:
    """In the session's process, before the student's code runs: the bytecode and its host
    paths are in the workdir now, and are not the student's to read in memory."""
    _bytecode.clear()


def populate(workdir: str, spec: dict, uid: int | None) -> None:
    """Copy the assignment's files (regular files only, never symlinks) into the workdir, owned
    by ``uid`` (``None``: by whoever copies them), with the bytecode ``compile_modules`` made."""
    os.makedirs(workdir, exist_ok=True)
    for name, host in spec["files"]:
        target = os.path.normpath(os.path.join(workdir, name))
        if not target.startswith(workdir + os.sep) or os.path.islink(host) or not os.path.isfile(host):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(host, target)
        written = [target]
        key = _version(host)
        if key in _bytecode:
            cached = importlib.util.cache_from_source(target)
            os.makedirs(os.path.dirname(cached), exist_ok=True)
            with open(cached, "wb") as file:
                file.write(_bytecode[key])
            written.append(cached)
        for path in written:
            if uid is not None:
                os.chown(path, uid, uid)
    for directory, _, _ in os.walk(workdir):
        if uid is not None:
            os.chown(directory, uid, uid)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def shed_root() -> None:
    """Leave the setup's user namespace for a nested one with no mapping, and drop every
    capability there: the student is an unmapped uid (``nobody``) that can do nothing a
    capability allows, in any namespace."""
    check(_libc.unshare(CLONE_NEWUSER), "unshare(user)")
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    data = (_CapData * 2)()
    check(_libc.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data), "capset")
