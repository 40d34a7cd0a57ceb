"""The leader finds a session's processes through /proc's children lists (only the session's
processes are read) and finds the same ones as by reading every process; strip kills all of them
but the student process. Run in a forked "leader" whose only child is the session, as in the jail
(the test process itself has other children: servers, zygotes)."""
from __future__ import annotations

import json
import os
import signal
import time

from coursekit.sandbox import jail


def _family() -> int:
    """A child with a grandchild and a zombie great-grandchild."""
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


def _as_leader() -> dict:
    pid = _family()
    try:
        by_children = sorted(jail._descendants_by_children(os.getpid()))
        found = {"children": by_children, "scan": sorted(jail._descendants_by_scan(os.getpid())),
                 "student": pid, "stripped": jail._strip(pid)}
        found["after"] = jail._descendants(os.getpid())
        return found
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_both_ways_find_the_same_living_descendants_and_strip_keeps_only_the_first():
    read, write = os.pipe()
    leader = os.fork()
    if leader == 0:
        os.close(read)
        try:
            os.write(write, json.dumps(_as_leader()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        found = json.loads(pipe.read())
    os.waitpid(leader, 0)
    assert found["children"] == found["scan"]
    assert found["student"] in found["children"] and len(found["children"]) == 2   # not the zombie
    assert found["stripped"] and found["after"] == [found["student"]]
