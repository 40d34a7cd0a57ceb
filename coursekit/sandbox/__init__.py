"""The trust boundary: everything that touches student code, in one place.

    trusted grading process                         |  sandbox (student code, hostile)
    runner.NotebookGrader                           |
      └ session.Session ── protocol (bounded) ──────┼──> child.Server: runs cells, calls functions
    jail.Zygote ── control socket ──> leader ──fork─┼──> student process (namespaces, rlimits,
                                                    |    seccomp, private root)

- ``protocol``: the only format that crosses the boundary; every message type, its fields and
  their bounds; the grader validates each frame before it uses anything in it.
- ``session``: the grader's side of one sandbox (deadlines, validation, kill).
- ``jail``: the zygote, the leader and the student process's isolation; the isolation modes
  (root, userns, landlock, none) and ``choose_isolation``.
- ``rootfs``: the private root and the user namespaces of the namespace modes.
- ``landlock``, ``syscalls``: the Landlock rules and the seccomp filter.
- ``layout``: Python and the kit at neutral paths inside.
- ``child``: the student side; runs in the same process as student code, so nothing it says
  is trusted.
- ``cgroups``: session-wide limits where the machine allows them.
"""
