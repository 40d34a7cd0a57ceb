"""Time a sandbox's start in each isolation mode this machine offers: the zygote's start, then
the median and the fastest of ``--sessions`` sessions, each from the request to the answer of a
one-line cell (what a restart costs while grading).

    python benchmarks/sandbox_start.py [--modes root,userns,landlock,none] [--sessions 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coursekit.preprocessors import SandboxedExecute  # noqa: E402
from coursekit.sandbox.jail import SessionSpec, Zygote, available_modes  # noqa: E402
from coursekit.sandbox.session import Session  # noqa: E402

CHECKS = Path(__file__).resolve().parents[1] / "source" / "cnn_layers" / "checks.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default=",".join(available_modes()))
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    for mode in args.modes.split(","):
        zygote = Zygote()
        started = time.monotonic()
        zygote.start(mode)
        zygote_seconds = time.monotonic() - started
        defaults = SandboxedExecute()                 # the traits: the kit's only defaults
        spec = SessionSpec(workdir="cnn_layers", files=[("checks.py", str(CHECKS))], isolation=mode,
                           limits=defaults.limits(), uid_base=defaults.uid_base)
        times = []
        try:
            for _ in range(args.sessions):
                started = time.monotonic()
                session = Session(zygote, spec)
                result = session.run_cell(0, "1", 1, set(), 10)
                times.append(time.monotonic() - started)
                session.close()
                if result.failure is not None:
                    raise SystemExit(f"{mode}: the cell failed ({result.failure})")
        finally:
            zygote.stop()
        print(f"{mode:9} zygote {zygote_seconds:4.1f} s   session median {statistics.median(times) * 1000:4.0f} ms,"
              f" fastest {min(times) * 1000:4.0f} ms")


if __name__ == "__main__":
    main()
