"""Benchmark backprop.py against the article's numpy program.

    python benchmarks/bench_xor.py [--rounds N]

Times, in one process and interleaved (A B C A B C ...), the article's XOR
training (2-4-1, sigmoid, lr 0.1, 10,000 epochs, seed-0 weights) with
backprop.py's compiled path, its list path and the numpy program; then a
[64, 32, 10] network on 256 generated samples for 20 full-batch epochs;
then whole processes (`python backprop.py xor` against the numpy program
as a script; `--quiet` so that both print the same lines) and the cost of
`import backprop`, over three times as many rounds; then the XOR training
under PyPy and MicroPython where they are installed.  Ratios are to
numpy's time in the same round; a round times building and training a
network, and each final loss is computed after the clock stops.  Without
numpy it times backprop.py alone.
"""
import contextlib
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
import backprop as bp  # noqa: E402

try:
    import numpy as np
    sys.path.insert(0, HERE)
    from article_xor_numpy import NeuralNetwork
except ImportError:
    np = None


# Each contender builds its network and trains it, and returns the trained
# model and a function that gives its final loss: the timing stops before it.

def xor_backprop(compiled):
    def run():
        net = bp.Network([2, 4, 1], seed=0)
        net.train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=4000, compiled=compiled)
        return lambda: bp.mse(bp.XOR_Y, net.predict(bp.XOR_X))
    return run


def xor_numpy():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    np.random.seed(0)
    nn = NeuralNetwork(2, 4, 1)
    with contextlib.redirect_stdout(io.StringIO()):
        nn.train(X, y, epochs=10000, learning_rate=0.1)
    return lambda: float(np.mean(np.square(y - nn.feedforward(X))))


def big_data():
    rng = bp.Random(1)
    X = [[rng.random() for _ in range(64)] for _ in range(256)]
    y = [[1.0 if j == i % 10 else 0.0 for j in range(10)] for i in range(256)]
    return X, y


def big_backprop(compiled):
    X, y = big_data()

    def run():
        net = bp.Network([64, 32, 10], seed=0)
        net.train(X, y, 20, 0.01, compiled=compiled)
        return lambda: bp.mse(y, net.predict(X))
    return run


def big_numpy():
    X, y = (np.array(m) for m in big_data())

    def run():
        np.random.seed(0)
        nn = NeuralNetwork(64, 32, 10)
        with contextlib.redirect_stdout(io.StringIO()):
            nn.train(X, y, epochs=20, learning_rate=0.01)
        return lambda: float(np.mean(np.square(y - nn.feedforward(X))))
    return run


def timed(f):
    start = time.perf_counter()
    final_loss = f()
    return time.perf_counter() - start, final_loss()


def interleave(title, contenders, rounds):
    """Run the contenders in turn, ``rounds`` times; print medians and ratios."""
    times = {name: [] for name, _ in contenders}
    finals = {}
    for _ in range(rounds):
        for name, f in contenders:
            t, loss = timed(f)
            times[name].append(t)
            finals[name] = loss
    print("\n%s (%d rounds, interleaved)" % (title, rounds))
    base = "numpy" if "numpy" in times else None
    for name, ts in times.items():
        line = "  %-22s median %9.2f ms" % (name, 1000 * statistics.median(ts))
        if base and name != base:
            ratios = [t / b for t, b in zip(ts, times[base])]
            line += "   x numpy: median %.3f (%.3f-%.3f)" % (
                statistics.median(ratios), min(ratios), max(ratios))
        print(line)
    ref = finals.get("numpy", next(iter(finals.values())))
    agree = all(abs(v - ref) <= 1e-9 * abs(ref) for v in finals.values())
    print("  final losses agree to 1e-9: %s (%s)" % (
        agree, ", ".join("%s %.15g" % kv for kv in finals.items())))
    return times


def process_times(rounds):
    """Whole processes: `python backprop.py xor --quiet` against the numpy script."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)      # let both use cached bytecode
    cache = tempfile.mkdtemp()
    py = [sys.executable, "-X", "pycache_prefix=" + cache]
    # --quiet: the article's lines only, as the numpy script prints
    commands = [("backprop.py xor", py + [os.path.join(ROOT, "backprop.py"), "xor", "--quiet"]),
                ("import backprop", py + ["-c", "import backprop"]),
                ("bare interpreter", py + ["-c", "pass"])]
    if np is not None:
        commands.insert(1, ("numpy script", py + [os.path.join(HERE, "article_xor_numpy.py")]))
    for _, c in commands:                           # warm the bytecode cache
        subprocess.run(c, capture_output=True, cwd=ROOT, env=env)
    times = {name: [] for name, _ in commands}
    for _ in range(rounds):
        for name, c in commands:
            start = time.perf_counter()
            subprocess.run(c, capture_output=True, cwd=ROOT, env=env, check=True)
            times[name].append(time.perf_counter() - start)
    shutil.rmtree(cache, ignore_errors=True)
    print("\nwhole processes (%d rounds, interleaved, cached bytecode)" % rounds)
    for name, ts in times.items():
        print("  %-22s median %9.2f ms" % (name, 1000 * statistics.median(ts)))
    if np is not None:
        ratios = [a / b for a, b in zip(times["backprop.py xor"], times["numpy script"])]
        print("  backprop.py xor x numpy script: median %.3f (%.3f-%.3f)"
              % (statistics.median(ratios), min(ratios), max(ratios)))
    extra = [a - b for a, b in zip(times["import backprop"], times["bare interpreter"])]
    print("  import backprop costs %.1f ms over a bare start (median)"
          % (1000 * statistics.median(extra)))


OTHER = """
import time, backprop as bp
clock = getattr(time, "perf_counter", time.time)
best = None
for _ in range(%d):
    start = clock()
    net = bp.Network([2, 4, 1], seed=0)
    net.train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=4000, compiled=%s)
    t = clock() - start
    best = t if best is None or t < best else best
print("%%.4f" %% best)
"""


def other_interpreters(rounds):
    print("\nXOR training on other interpreters (best of %d, in-process clock)" % rounds)
    for name, command in (("pypy3", ["pypy3"]), ("micropython", ["micropython"])):
        if not shutil.which(command[0]):
            print("  %-12s not installed" % name)
            continue
        for compiled in ("True", "False"):
            p = subprocess.run(command + ["-c", OTHER % (rounds, compiled)], capture_output=True,
                               text=True, cwd=ROOT)
            print("  %-12s %-9s %s s" % (name, "compiled" if compiled == "True" else "lists",
                                        p.stdout.strip() or p.stderr.strip()[-200:]))


def main(args):
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 7
    # the executable too: builds of one version differ (PGO, LTO, a shared libpython)
    print("backprop.py %s on %s %s (%s), %s, %s" % (
        bp.__version__, platform.python_implementation(), platform.python_version(),
        sys.executable, platform.machine(), time.strftime("%Y-%m-%d")))
    print("numpy %s" % np.__version__ if np is not None else
          "numpy is not installed: timing backprop.py alone")
    xor = [("compiled", xor_backprop(None)), ("lists", xor_backprop(False))]
    big = [("compiled or lists", big_backprop(None)), ("lists", big_backprop(False))]
    if np is not None:
        xor.insert(0, ("numpy", xor_numpy))
        big.insert(0, ("numpy", big_numpy()))
    interleave("XOR 2-4-1, 10,000 epochs", xor, rounds)
    interleave("[64, 32, 10] x 256 samples, 20 full-batch epochs", big, rounds)
    process_times(3 * rounds)       # short and noisy (start-up): more rounds
    other_interpreters(min(rounds, 3))     # the lists take 10 s a round on MicroPython


if __name__ == "__main__":
    main(sys.argv[1:])
