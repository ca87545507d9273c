"""Memory and time of `train` and `predict` against a CSV file's size.

    python benchmarks/bench_files.py                # 1 and 10 MB, 3 rounds
    python benchmarks/bench_files.py --sizes 10,100 --classes 1500

Each command runs as a real process; its peak memory (the kernel's maximum
resident set, from os.wait4) is compared with the file's size and with the
floor of the same interpreter importing backprop.py and doing nothing.
The table is synthetic: eight numeric inputs and a class, seeded.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, os.pardir, "backprop.py")


def table(path, megabytes, classes):
    """A CSV file of about ``megabytes``: x1..x8 and a label of ``classes`` values."""
    rng = random.Random(0)
    with open(path, "w") as f:
        f.write(",".join("x%d" % i for i in range(1, 9)) + ",label\n")
        while f.tell() < megabytes * 1e6:
            xs = [rng.gauss(0, 1) for _ in range(8)]
            label = int(abs(sum(xs)) * classes / 6) % classes
            f.write(",".join("%.6f" % x for x in xs) + ",c%d\n" % label)


def measured(args):
    """(seconds, peak resident MB, exit status) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode()
    if p.returncode:
        sys.exit("%s failed: %s" % (" ".join(args[2:4]), err.strip()))
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="file sizes in MB")
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--epochs", default="1")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the fastest kept")
    o = parser.parse_args()
    floor = measured([sys.executable, "-c", "import sys; sys.path.insert(0, %r); "
                      "import backprop" % os.path.dirname(SCRIPT)])[1]
    print("%s; import backprop alone: %.0f MB" % (sys.version.split()[0], floor))
    print("%-8s %7s %9s %9s %9s" % ("command", "file MB", "seconds", "peak MB", "peak/file"))
    with tempfile.TemporaryDirectory() as folder:
        model = os.path.join(folder, "model.json")
        for mb in [float(s) for s in o.sizes.split(",")]:
            data = os.path.join(folder, "t.csv")
            table(data, mb, o.classes)
            runs = [("train", ["train", data, "--epochs", o.epochs, "--hidden", "8",
                               "--save", model]),
                    ("predict", ["predict", model, data])]
            for name, argv in runs:
                seconds, peak = min(measured([sys.executable, SCRIPT] + argv)
                                    for _ in range(o.rounds))
                print("%-8s %7.1f %9.1f %9.0f %9.1f" % (name, mb, seconds, peak, peak / mb))


if __name__ == "__main__":
    main()
