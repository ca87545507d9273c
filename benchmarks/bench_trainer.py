"""Benchmark the trainer's options against plain SGD, and compiled prediction.

    python benchmarks/bench_trainer.py [--rounds N]

Times, in one process and interleaved (A B A B ...):
- a [64, 32, 10] network on 256 generated samples, 10 epochs, trained with
  plain SGD, momentum, Adam, and Adam with L2 and mean reduction, full batch
  and in mini-batches of 32; ratios are to plain SGD in the same round and
  the same batching (the issue's target: Adam at most 1.5x per epoch);
- predict() on 10,000 rows of a [20, 128, 2] network, compiled, against the
  list forward pass that predict() ran before (target: at least 2x faster),
  warm (compiled code cached) and cold (compiling included).
Each contender runs once untimed first, so that the training figures
exclude compiling (about 0.2 s for [64, 32, 10], once per process).
"""
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import backprop as bp  # noqa: E402


def big_data():
    rng = bp.Random(1)
    X = [[rng.random() for _ in range(64)] for _ in range(256)]
    y = [[1.0 if j == i % 10 else 0.0 for j in range(10)] for i in range(256)]
    return X, y


def trainer(batch_size, lr, **options):
    X, y = big_data()

    def run():
        net = bp.Network([64, 32, 10], seed=0, init="xavier")
        net.train(X, y, 10, lr, batch_size=batch_size, **options)
    return run


def predict_data():
    rng = bp.Random(2)
    return [[rng.random() * 2 - 1 for _ in range(20)] for _ in range(10000)]


def predictor(how):
    X = predict_data()
    net = bp.Network([20, 128, 2], seed=0)

    def run():
        if how == "lists (before)":
            return net.forward(X)[1][-1]
        if how == "compiled, cold":
            bp._COMPILED.clear()
        return net.predict(X)
    return run


def interleave(title, contenders, rounds, base):
    times = {name: [] for name, _ in contenders}
    for name, f in contenders:          # compile each network's code once, untimed
        f()
    for _ in range(rounds):
        for name, f in contenders:
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    print("\n%s (%d rounds, interleaved)" % (title, rounds))
    for name, ts in times.items():
        line = "  %-30s median %9.1f ms" % (name, 1000 * statistics.median(ts))
        if name != base:
            ratios = [t / b for t, b in zip(ts, times[base])]
            line += "   x %s: median %.3f (%.3f-%.3f)" % (
                base, statistics.median(ratios), min(ratios), max(ratios))
        print(line)


def main(args):
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 5
    print("backprop.py %s on %s %s, %s, %s" % (
        bp.__version__, platform.python_implementation(), platform.python_version(),
        platform.machine(), time.strftime("%Y-%m-%d")))
    for batch_size, lr in ((None, 0.01), (32, 0.05)):
        interleave("[64, 32, 10] x 256 samples, 10 epochs, %s" % (
            "full batch" if batch_size is None else "batches of %d" % batch_size), [
            ("sgd", trainer(batch_size, lr)),
            ("sgd, momentum 0.9", trainer(batch_size, lr, momentum=0.9)),
            ("adam", trainer(batch_size, lr / 10, optimizer="adam")),
            ("adam, l2, mean", trainer(batch_size, lr / 10, optimizer="adam", l2=1e-4,
                                       reduction="mean")),
        ], rounds, "sgd")
    X, net = predict_data(), bp.Network([20, 128, 2], seed=0)
    assert net.predict(X) == net.forward(X)[1][-1]        # the same numbers
    interleave("predict, [20, 128, 2] x 10,000 rows", [
        ("lists (before)", predictor("lists (before)")),
        ("compiled, warm", predictor("compiled, warm")),
        ("compiled, cold", predictor("compiled, cold")),
    ], rounds, "lists (before)")


if __name__ == "__main__":
    main(sys.argv[1:])
