"""The neutral-path rewrite (coursekit/sandbox/layout.py) reaches every kind of place a path
string sits in; run in a fresh interpreter, since it rewrites the whole process."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

SCRIPT = r'''
import functools, sys
from coursekit.sandbox import layout
HOST = "/no-such-host/course/.venv"
class Font:
    def __init__(self): self.fname = HOST + "/fonts/a.ttf"
def make_cached():
    ret = HOST + "/data"
    def get(): return ret
    return get
@functools.lru_cache
def cached(x): return HOST + x
module = {}
exec(compile("def outer():\n    def inner(): return 1\n    return inner\n", HOST + "/m.py", "exec"), module)
outer = module["outer"]
font, get, plain = Font(), make_cached(), {"only": HOST + "/strings", "n": 1}
holder = [plain]
found = [HOST + "/lib", "/usr/lib/keep"]
paths = {HOST + "/x"}
keyed = {HOST + "/key": [1]}
cached("/y")
layout.rewrite(((HOST, "/sandbox/venv"),))
assert font.fname == "/sandbox/venv/fonts/a.ttf", font.fname
assert get() == "/sandbox/venv/data", get()
assert plain["only"] == "/sandbox/venv/strings", plain
assert found == ["/sandbox/venv/lib", "/usr/lib/keep"], found
assert paths == {"/sandbox/venv/x"}, paths
assert list(keyed) == ["/sandbox/venv/key"], keyed
assert cached.cache_info().currsize == 0
assert outer.__code__.co_filename == "/sandbox/venv/m.py"
assert outer().__code__.co_filename == "/sandbox/venv/m.py", outer().__code__.co_filename
print("rewritten")
'''


def test_the_rewrite_reaches_dicts_lists_sets_closures_attributes_caches_and_code():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "rewritten"
