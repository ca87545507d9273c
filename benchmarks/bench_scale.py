"""How close backprop.py's training runs to the pure-Python floor, by size.

    python benchmarks/bench_scale.py [--rounds N] [--sizes 64,32,10 ...]

For 64-32-10, 64-100-10, 784-32-10 and 784-100-10 networks (ReLU hidden
units, softmax and cross-entropy, as `backprop.py train` makes them) on 256
generated rows, it times in one process, interleaved, one epoch of
mini-batches of 32 with Adam and the mean loss (train's defaults):

- default: ``Network.train`` as a user calls it (whichever path it picks);
- lists: ``train(..., compiled=False)``, Part I's list code;
- floor: the same epoch written here by hand in the least Python we know
  for it, nothing checked and nothing general: each weighted sum, delta sum
  and gradient entry one ``sum(map(mul, ...))``, Adam in one comprehension.

and prints the nanoseconds per multiply-add (three per weight per row: the
forward pass, the deltas, the gradient; train's report at epoch 0 adds one
forward pass, counted too), each path over the floor, the time and peak
memory (tracemalloc, in a second build) of making the default path's step
(the first round's default time includes it; the best round does not), and, where
scikit-learn is installed, its MLPClassifier's time per multiply-add on the
same rows.  The library never imports scikit-learn; this benchmark may.
"""
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from operator import mul

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import backprop as bp  # noqa: E402

ROWS, BATCH, LR = 256, 32, 0.001
SIZES = [[64, 32, 10], [64, 100, 10], [784, 32, 10], [784, 100, 10]]


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

def floor_epoch(W1, b1, W2, b2, state, X, Y, t):
    """W1[i][j] (inputs by hidden units), W2 likewise; state is Adam's
    moments, one flat list each; returns the new weights and step count."""
    m1, m2 = state
    for s in range(0, len(X), BATCH):
        xs, ys = X[s:s + BATCH], Y[s:s + BATCH]
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


def run_floor(sizes, X, Y):
    net = network(sizes)
    P = bp._parameters(net)
    state = [[0.0] * len(P), [0.0] * len(P)]
    start = time.perf_counter()
    floor_epoch(net.weights[0], net.biases[0], net.weights[1], net.biases[1], state, X, Y, 0)
    return time.perf_counter() - start


def run_backprop(sizes, X, Y, compiled):
    net = network(sizes)
    start = time.perf_counter()
    net.train(X, Y, 1, LR, batch_size=BATCH, optimizer="adam", reduction="mean",
              report_every=1, compiled=compiled)
    return time.perf_counter() - start, net.compiled


def build(sizes):
    """Seconds and peak bytes to make the default path's step, from nothing."""
    net = network(sizes)
    h = bp.Settings(net, LR, dict(optimizer="adam", reduction="mean"))
    bp._COMPILED.clear()
    gc.collect()
    start = time.perf_counter()
    bp.FAST["step"](net, h, False, ROWS)
    seconds = time.perf_counter() - start
    bp._COMPILED.clear()        # again, traced: tracemalloc slows it down
    gc.collect()
    tracemalloc.start()
    bp.FAST["step"](net, h, False, ROWS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def run_sklearn(sizes, X, Y):
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    labels = [row.index(1.0) for row in Y]
    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), batch_size=BATCH,
                          learning_rate_init=LR, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, labels)
        return time.perf_counter() - start


def main(argv):
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    sizes_list = SIZES
    if "--sizes" in argv:
        sizes_list = [[int(v) for v in text.split(",")]
                      for text in argv[argv.index("--sizes") + 1:] if text[:2] != "--"]
    try:
        import sklearn  # noqa: F401
    except ImportError:
        sklearn = None
    print("backprop.py %s on %s %s (%s), %s, %s" % (
        bp.__version__, platform.python_implementation(), platform.python_version(),
        sys.executable, platform.machine(), time.strftime("%Y-%m-%d")))
    print("COMPILE_LIMIT %d; %d rows, batches of %d, Adam, best of %d rounds, interleaved"
          % (bp.COMPILE_LIMIT, ROWS, BATCH, rounds))
    print("")
    print("%-14s %8s %-9s %9s %9s %9s %8s %8s %9s %9s %9s" % (
        "network", "weights", "default", "ns/madd", "lists", "floor", "def/flr", "lst/flr",
        "build s", "build MB", "sklearn"))
    for sizes in sizes_list:
        X, Y = data(sizes)
        count = multiply_adds(sizes) * ROWS
        times = {"default": [], "lists": [], "floor": [], "sklearn": []}
        path = None
        for _ in range(rounds):
            seconds, compiled = run_backprop(sizes, X, Y, None)
            times["default"].append(seconds / (4 * count))
            path = "compiled" if compiled and bp._size(network(sizes)) <= \
                bp.COMPILE_LIMIT else "rows" if compiled else "lists"
            times["lists"].append(run_backprop(sizes, X, Y, False)[0] / (4 * count))
            times["floor"].append(run_floor(sizes, X, Y) / (3 * count))
            if sklearn:
                times["sklearn"].append(run_sklearn(sizes, X, Y) / (3 * count))
        best = dict((k, min(v) * 1e9) for k, v in times.items() if v)
        seconds, peak = build(sizes)
        print("%-14s %8d %-9s %9.1f %9.1f %9.1f %8.2f %8.2f %9.3f %9.1f %9s" % (
            "-".join(map(str, sizes)), weights(sizes), path, best["default"], best["lists"],
            best["floor"], best["default"] / best["floor"], best["lists"] / best["floor"],
            seconds, peak / 1e6, "%.2f" % best["sklearn"] if sklearn else "-"))
        sys.stdout.flush()
    print("")
    print("ns/madd, lists, floor, sklearn: nanoseconds per multiply-add, best round; "
          "def/flr and lst/flr: default and lists over the floor")


if __name__ == "__main__":
    main(sys.argv[1:])
