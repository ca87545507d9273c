"""How close backprop.py's training runs to the pure-Python floor, by size,
and whether its choice of path is the fastest one.

    python benchmarks/bench_scale.py [--rounds N] [--all] [--sizes 64,32,10 ...]

For networks from 2,410 to 25,450 weights (ReLU hidden units, softmax and
cross-entropy, as `backprop.py train` makes them; --all adds more, to 79,510) on
256 generated rows, it times in one process, interleaved, one epoch with
Adam and the mean loss, in mini-batches of 32 (train's defaults) and as one
full batch:

- default: ``Network.train`` as a user calls it: the path it picks, named
  in the table (compiled: every weight's update written out, up to
  COMPILE_LIMIT; sums: the sums over the batch written out, the optimizer on
  the lists, up to SUMS_LIMIT; rows: row by row, nothing to build);
- forced: ``train(..., compiled=True)``, every update written out at any
  size (up to 20,000 weights: beyond, building it takes many seconds);
- rows: the row-by-row path at any size (the limits set to 0);
- floor: the same epoch written here by hand in the least Python we know
  for it, nothing checked and nothing general: each weighted sum, delta sum
  and gradient entry one ``sum(map(mul, ...))``, Adam in one comprehension.

and prints the nanoseconds per multiply-add (three per weight per row: the
forward pass, the deltas, the gradient; train's report at epoch 0 adds one
forward pass, counted too), default over forced and over the floor, the
time and memory (the growth of the peak resident size, Linux's VmHWM, in a
process of its own) of making the default path's step (each timed epoch follows one that
made it),
and, where scikit-learn is installed, its MLPClassifier's time per
multiply-add on the same rows.  The library never imports scikit-learn;
this benchmark may.
"""
import math
import os
import platform
import statistics
import sys
import time
from operator import mul

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import backprop as bp  # noqa: E402

ROWS, BATCH, LR = 256, 32, 0.001
SIZES = [[64, 32, 10], [64, 100, 10], [784, 32, 10]]     # one a path
MORE = [[64, 64, 10], [64, 200, 10], [784, 24, 10], [100, 180, 10], [784, 40, 10],
        [784, 100, 10]]                                     # with --all
FORCED = 20000          # weights, up to which the forced path is timed (seconds to build)


def data(sizes):
    rng = bp.Random(1)
    X = [[rng.gauss() for _ in range(sizes[0])] for _ in range(ROWS)]
    return X, bp.one_hot([n % sizes[-1] for n in range(ROWS)], sizes[-1])


def network(sizes):
    return bp.Network(sizes, activation="relu", output_activation="softmax",
                      loss="cross_entropy", init="he", seed=0)


def weights(sizes):
    return sum(n * m + m for n, m in zip(sizes, sizes[1:]))


def multiply_adds(sizes):
    return sum(n * m for n, m in zip(sizes, sizes[1:]))


# The floor: one epoch of a one-hidden-layer ReLU/softmax network, by hand.

def floor_epoch(W1, b1, W2, b2, state, X, Y, t, batch):
    """W1[i][j] (inputs by hidden units), W2 likewise; state is Adam's
    moments, one flat list each; returns the new weights and step count."""
    m1, m2 = state
    for s in range(0, len(X), batch):
        xs, ys = X[s:s + batch], Y[s:s + batch]
        C1, C2 = list(zip(*W1)), list(zip(*W2))
        H = [[max(sum(map(mul, x, c)) + b, 0.0) for c, b in zip(C1, b1)] for x in xs]
        A = [[sum(map(mul, h, c)) + b for c, b in zip(C2, b2)] for h in H]
        D2 = []
        for a, y in zip(A, ys):
            top = max(a)
            e = [math.exp(v - top) for v in a]
            total = sum(e)
            D2.append([q - p / total for q, p in zip(y, e)])
        D1 = [[sum(map(mul, d, w)) * (h_i > 0.0) for w, h_i in zip(W2, h)]
              for d, h in zip(D2, H)]
        n = len(xs)
        G = []
        for O, D in ((xs, D1), (H, D2)):
            DC = list(zip(*D))
            G += [-sum(map(mul, o, d)) / n for o in zip(*O) for d in DC]
        G += [-sum(d) / n for d in zip(*D1)] + [-sum(d) / n for d in zip(*D2)]
        t += 1
        c1, c2 = 1.0 - 0.9 ** t, 1.0 - 0.999 ** t
        M = [0.9 * m + 0.1 * g for m, g in zip(m1, G)]
        V = [0.999 * v + 0.001 * (g * g) for v, g in zip(m2, G)]
        P = [p - LR * (m / c1) / (math.sqrt(v / c2) + 1e-8) for p, m, v in zip(
            [v for row in W1 for v in row] + [v for row in W2 for v in row] + b1 + b2, M, V)]
        m1, m2 = M, V
        k, i2 = 0, len(W1) * len(b1)
        W1 = [P[r * len(b1):(r + 1) * len(b1)] for r in range(len(W1))]
        W2 = [P[i2 + r * len(b2):i2 + (r + 1) * len(b2)] for r in range(len(W2))]
        k = i2 + len(W2) * len(b2)
        b1, b2 = P[k:k + len(b1)], P[k + len(b1):]
    state[:] = [m1, m2]
    return W1, b1, W2, b2, t


def run_floor(sizes, X, Y, batch):
    net = network(sizes)
    P = bp._parameters(net)
    state = [[0.0] * len(P), [0.0] * len(P)]
    start = time.perf_counter()
    floor_epoch(net.weights[0], net.biases[0], net.weights[1], net.biases[1], state, X, Y, 0,
                batch or len(X))
    return time.perf_counter() - start


def run_backprop(sizes, X, Y, batch, path):
    """The seconds of an epoch on ``path`` (default, forced or rows), after
    one that built its step (see build)."""
    net = network(sizes)
    limits = bp.COMPILE_LIMIT, getattr(bp, "SUMS_LIMIT", 0)
    if path == "rows":
        bp.COMPILE_LIMIT = bp.SUMS_LIMIT = 0
    try:
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            net.train(X, Y, 1, LR, batch_size=batch, optimizer="adam", reduction="mean",
                      report_every=1, compiled=True if path == "forced" else None)
            seconds.append(time.perf_counter() - start)
        return seconds[1]
    finally:
        bp.COMPILE_LIMIT, bp.SUMS_LIMIT = limits


def default_path(sizes):
    size = weights(sizes)
    sums = getattr(bp, "SUMS_LIMIT", 0)         # (none in an older backprop.py)
    return "compiled" if size <= bp.COMPILE_LIMIT else "sums" if size <= sums else "rows"


BUILD = """import sys, time
sys.path[:0] = [%r, %r]
import backprop as bp, bench_scale as bs
net = bs.network(%r)
h = bp.Settings(net, bs.LR, dict(optimizer="adam", reduction="mean"))
before = bs.peak()
start = time.perf_counter()
bp.FAST["step"](net, h, %r, bs.ROWS)
seconds = time.perf_counter() - start
print(seconds, bs.peak() - before)
"""


def peak():
    """This process's peak resident bytes (Linux's VmHWM: ru_maxrss would
    count the parent's, inherited through fork)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def build(sizes, batch):
    """Seconds and bytes (the growth of the peak resident memory, in a
    process of its own) to make the default path's step, from nothing."""
    import subprocess
    out = subprocess.run([sys.executable, "-c", BUILD % (
        HERE, os.path.dirname(HERE), sizes, batch is None)], capture_output=True, text=True,
        check=True).stdout.split()
    return float(out[0]), int(out[1])


def run_sklearn(sizes, X, Y, batch):
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    labels = [row.index(1.0) for row in Y]
    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), batch_size=batch or len(X),
                          learning_rate_init=LR, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, labels)
        return time.perf_counter() - start


def main(argv):
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    sizes_list = SIZES + MORE * ("--all" in argv)
    if "--sizes" in argv:
        given = argv[argv.index("--sizes") + 1:]
        given = given[:[text[:2] for text in given + ["--"]].index("--")]
        sizes_list = [[int(v) for v in text.split(",")] for text in given]
    sizes_list.sort(key=weights)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        sklearn = None
    print("backprop.py %s on %s %s (%s), %s, %s" % (
        bp.__version__, platform.python_implementation(), platform.python_version(),
        sys.executable, platform.machine(), time.strftime("%Y-%m-%d")))
    print("COMPILE_LIMIT %d, SUMS_LIMIT %d; %d rows, Adam, best of %d rounds, interleaved"
          % (bp.COMPILE_LIMIT, getattr(bp, "SUMS_LIMIT", 0), ROWS, rounds))
    print("")
    print("%-12s %7s %5s %-8s %7s %7s %7s %7s %7s %7s %7s %8s %7s" % (
        "network", "weights", "batch", "default", "ns/madd", "forced", "rows", "floor",
        "def/frc", "def/flr", "build s", "build MB", "sklearn"))
    for sizes in sizes_list:
        X, Y = data(sizes)
        count = multiply_adds(sizes) * ROWS
        for batch in (BATCH, None):
            paths = ["default", "rows"] + ["forced"] * (weights(sizes) <= FORCED)
            times = dict((path, []) for path in paths + ["floor", "sklearn"])
            for _ in range(rounds):
                for path in paths:
                    times[path].append(run_backprop(sizes, X, Y, batch, path) / (4 * count))
                times["floor"].append(run_floor(sizes, X, Y, batch) / (3 * count))
                if sklearn:
                    times["sklearn"].append(run_sklearn(sizes, X, Y, batch) / (3 * count))
            best = dict((k, min(v) * 1e9) for k, v in times.items() if v)
            seconds, peak = build(sizes, batch)
            show = lambda key: "%.1f" % best[key] if key in best else "-"  # noqa: E731
            print("%-12s %7d %5s %-8s %7.1f %7s %7s %7.1f %7s %7.2f %7.3f %8.1f %7s" % (
                "-".join(map(str, sizes)), weights(sizes), batch or "all", default_path(sizes),
                best["default"], show("forced"), show("rows"), best["floor"],
                "%.2f" % (best["default"] / best["forced"]) if "forced" in best else "-",
                best["default"] / best["floor"], seconds, peak / 1e6, show("sklearn")))
            sys.stdout.flush()
    print("")
    print("ns/madd, forced, rows, floor, sklearn: nanoseconds per multiply-add, best round; "
          "def/frc and def/flr: default over forced and over the floor")


if __name__ == "__main__":
    main(sys.argv[1:])
