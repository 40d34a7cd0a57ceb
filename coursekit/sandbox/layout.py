"""Neutral paths: inside a private root, Python and the kit live under ``/sandbox``, not where the
grading machine keeps them (a virtual environment inside the course folder, a clone's path).

The zygote imports everything from the host's paths, then (for the namespace modes only)
rewrites the paths it holds, once, before it forks any sandbox: ``sys.path``, ``sys.prefix`` and
friends, every module's ``__file__``, ``__path__`` and spec, importer caches, the file name of
every function's code, path strings held in dictionaries (also those the collector no longer
tracks), lists, sets, closures and objects' attributes (matplotlib's font list...); every
``functools`` cache is emptied. The private root mounts the same directories at those neutral
paths, so lazy imports and data files keep working. Not rewritten: strings inside tuples and in
C-level state, and whatever raw memory still holds.
"""
from __future__ import annotations

import functools
import gc
import linecache
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path

NEUTRAL = "/sandbox"
KIT = f"{NEUTRAL}/kit"                       # the folder holding the coursekit package
SYSTEM = ("/usr/", "/lib", "/bin/", "/sbin/", "/etc/")     # visible at their usual places anyway


def kit_root() -> str:
    """The directory holding the ``coursekit`` package (the zygote's PYTHONPATH)."""
    return str(Path(__file__).resolve().parents[2])


def host_layout() -> tuple[tuple[str, str], ...]:
    """(host directory, neutral path) pairs, longest host path first (a tuple of tuples of
    strings, which the rewrite leaves alone). Of the kit only the ``coursekit`` package is
    mounted: the folder holding it is, in a development install, the course repository itself
    (source/ with the solutions and hidden tests, notebooks/ with the grader-only files, the
    gradebook, the submissions); its path is rewritten to ``KIT`` but nothing of it is mounted."""
    pairs: dict[str, str] = {}
    python = {os.path.realpath(sys.base_prefix): f"{NEUTRAL}/python",
              os.path.realpath(sys.prefix): f"{NEUTRAL}/venv",
              os.path.join(kit_root(), "coursekit"): f"{KIT}/coursekit"}
    for host, neutral in python.items():
        if host not in pairs and not (host + "/").startswith(SYSTEM) and os.path.isdir(host):
            pairs[host] = neutral
    for alias in (sys.base_prefix, sys.prefix):      # the unresolved spelling, if a link leads there
        real = os.path.realpath(alias)
        if alias != real and real in pairs:
            pairs[alias] = pairs[real]
    root = kit_root()
    if not any(root == host or root.startswith(host + "/") for host in pairs):
        pairs[root] = KIT                           # rewritten, never mounted (see mounts)
    return tuple(sorted(pairs.items(), key=lambda pair: -len(pair[0])))


def mounts(layout: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """What the private root must mount: (host directory, neutral path), real paths only, not
    the folder holding the kit (only the package inside it)."""
    return [(host, neutral) for host, neutral in layout if os.path.realpath(host) == host and neutral != KIT]


def rewrite(layout: tuple[tuple[str, str], ...]) -> int:
    """Rewrite the paths this process holds; returns how many strings changed."""
    def new(value: str) -> str | None:
        for host, neutral in layout:
            if value == host or value.startswith(host + "/"):
                return neutral + value[len(host):]
        return None

    changed = 0
    sys.path_importer_cache.clear()
    linecache.clearcache()
    try:
        import zipimport
        zipimport._zip_directory_cache.clear()         # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        pass
    sys.argv = ["python3"]
    sys.orig_argv = ["python3"]
    codes: dict[int, tuple] = {}
    for obj in _containers():
        if isinstance(obj, dict):
            changed += _rewrite_dict(obj, new)
        elif isinstance(obj, list):
            for index, item in enumerate(list.copy(obj)):
                if isinstance(item, str) and (value := new(item)) is not None:
                    list.__setitem__(obj, index, value)
                    changed += 1
        elif isinstance(obj, set):
            found = {item: value for item in set.copy(obj)
                     if isinstance(item, str) and (value := new(item)) is not None}
            set.difference_update(obj, found)
            set.update(obj, found.values())
            changed += len(found)
        elif isinstance(obj, types.FunctionType):
            try:
                obj.__code__ = _code(obj.__code__, new, codes)
            except (TypeError, ValueError):
                pass
        elif isinstance(obj, types.CellType):        # a closure's variable (a hand-made cache)
            try:
                if isinstance(obj.cell_contents, str) and (value := new(obj.cell_contents)) is not None:
                    obj.cell_contents = value
                    changed += 1
            except ValueError:                         # an empty cell
                pass
        elif isinstance(obj, functools._lru_cache_wrapper):
            obj.cache_clear()                          # cached results may hold host paths
        elif not isinstance(obj, (type, types.ModuleType)):
            try:                                       # an instance's attributes (3.11 keeps them
                attributes = object.__getattribute__(obj, "__dict__")   # outside a dict until asked)
            except Exception:
                continue
            if isinstance(attributes, dict):
                changed += _rewrite_dict(attributes, new)
    return changed


def _containers():
    """Every object the collector tracks, and the dictionaries it stopped tracking (those holding
    only strings and numbers, like ``sysconfig``'s variables), found as the tracked ones' referents."""
    seen: set[int] = set()
    for obj in gc.get_objects():
        yield obj
        for ref in gc.get_referents(obj):
            if type(ref) is dict and not gc.is_tracked(ref) and id(ref) not in seen:
                seen.add(id(ref))
                yield ref


def _rewrite_dict(obj: dict, new: Callable[[str], str | None]) -> int:
    """Rewrite keys and values with dict's own methods (a subclass's may validate or load)."""
    changed = 0
    keys = [key for key in dict.keys(obj) if isinstance(key, str) and new(key) is not None]
    for key in keys:
        dict.__setitem__(obj, new(key), dict.pop(obj, key))
        changed += 1
    for key, item in list(dict.items(obj)):
        if isinstance(item, str) and (value := new(item)) is not None:
            dict.__setitem__(obj, key, value)
            changed += 1
    return changed


def _code(code: types.CodeType, new: Callable[[str], str | None], memo: dict[int, tuple]) -> types.CodeType:
    """``code`` with the file name rewritten, in it and in the code objects nested in it."""
    if id(code) in memo:
        return memo[id(code)][1]
    consts = tuple(_code(c, new, memo) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    filename = new(code.co_filename)
    if filename is not None or any(a is not b for a, b in zip(consts, code.co_consts, strict=True)):
        result = code.replace(co_filename=filename or code.co_filename, co_consts=consts)
    else:
        result = code
    memo[id(code)] = (code, result)      # the original is kept alive: its id is not reused
    return result
