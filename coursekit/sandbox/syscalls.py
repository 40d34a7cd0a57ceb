"""The seccomp filter of the student process (pyseccomp over the system's libseccomp).

Everything is allowed except what a numerical notebook never needs and an escape usually does:
new namespaces, mounts, tracing or reading other processes, the kernel's keyrings, BPF, perf,
userfaultfd and io_uring (large attack surfaces), modules, kexec, reboot, swap and file handles.
Denied calls fail with EPERM (``clone3`` with ENOSYS, so glibc falls back to ``clone``, whose
namespace flags the filter can see). System calls of another ABI (32-bit ``int 0x80``) kill
the process.
"""
from __future__ import annotations

import errno

DENIED = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "ptrace", "process_vm_readv",
    "process_vm_writev", "pidfd_getfd", "process_madvise", "kcmp", "bpf", "keyctl", "add_key",
    "request_key", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "reboot", "swapon", "swapoff", "open_by_handle_at", "name_to_handle_at",
    "acct", "quotactl", "syslog", "vhangup", "iopl", "ioperm", "fanotify_init", "migrate_pages",
    "move_pages", "uselib", "personality",
)
NAMESPACE_FLAGS = (0x00000080, 0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000,
                   0x20000000, 0x40000000)  # CLONE_NEWTIME, NS, CGROUP, UTS, IPC, USER, PID, NET


def available() -> bool:
    """Whether the filter can be built here (pyseccomp and libseccomp importable)."""
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def build(deny_sockets: bool = False) -> object:
    """The filter, ready to ``load`` (built before the session's request, loaded last).

    ``deny_sockets`` also refuses new sockets of any kind (the Landlock mode, which has no
    network namespace: UDP and named unix sockets are outside what Landlock controls).
    """
    import pyseccomp as seccomp
    fail = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)     # 32-bit calls: not a thread, the process
    for name in DENIED:
        try:
            rules.add_rule(fail, name)
        except (OSError, ValueError, RuntimeError):   # a call this kernel or libseccomp does not know
            pass
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(fail, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    if deny_sockets:
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket")
    return rules

