"""The leader finds a session's processes through /proc's children lists (only the session's
processes are read) and finds the same ones as by reading every process; strip kills all of them
but the student process."""
from __future__ import annotations

import os
import signal
import time

from coursekit.sandbox import jail


def _family() -> int:
    """A child with a grandchild and a zombie great-grandchild, all of this test process."""
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            if os.fork() == 0:
                os._exit(0)                       # stays a zombie: its parent never waits
            time.sleep(30)
            os._exit(0)
        time.sleep(30)
        os._exit(0)
    time.sleep(0.3)
    return pid


def test_both_ways_find_the_same_living_descendants_and_strip_keeps_only_the_first():
    pid = _family()
    try:
        by_children = sorted(jail._descendants_by_children(os.getpid()))
        assert by_children == sorted(jail._descendants_by_scan(os.getpid()))
        assert pid in by_children and len(by_children) == 2        # the zombie is not counted
        assert jail._strip(pid)
        assert jail._descendants(os.getpid()) == [pid]
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
