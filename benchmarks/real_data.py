"""backprop.py on real data, against scikit-learn's MLP with the same setup.

    python benchmarks/real_data.py [--epochs 200] [--seeds 3] [--init he]

Needs scikit-learn (pip install scikit-learn); the test suite never does.
On iris, wine, breast cancer and digits (test accuracy) and on diabetes
(test R^2), each split 75/25 with a fixed seed (stratified for the
classes), features standardized on the training split (and the diabetes
target too; R^2 does not change under that), it trains

- backprop.py: one hidden layer of 32 ReLU units, ``init="he"`` (or --init),
  ``optimizer="adam"`` (lr 0.001), ``reduction="mean"``, batches of 32, and
  a softmax (or, for two classes, a sigmoid) output with cross-entropy, or
  a linear output with squared error for diabetes;
- ``MLPClassifier`` / ``MLPRegressor(solver="adam")``: the same hidden
  layer, batch size, learning rate and number of epochs, with its own early
  stopping switched off (``tol=0``), so both run every epoch.

Each runs with the seeds 0, 1, 2 (``seed=`` and ``random_state=``), and the
table shows the mean score: a test set of 38 or 45 rows moves accuracy in
steps of 0.022-0.026, so a single seed says little about 0.02.

scikit-learn's ``alpha`` adds alpha/2 * |W|^2 / (rows in the batch) to each
batch's loss; backprop.py's ``l2`` is not divided by the batch, so
``l2 = alpha / 32`` is the same penalty.  Target: accuracy within 0.02 of
scikit-learn's, R^2 within 0.05.
"""
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import backprop as bp  # noqa: E402

try:
    from sklearn import datasets
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler
except ImportError:
    sys.exit("real_data.py needs scikit-learn: python -m pip install scikit-learn")

HIDDEN, BATCH, LR, ALPHA = 32, 32, 0.001, 1e-4


def split(X, y, classes):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if classes else None)
    scale = StandardScaler().fit(X_train)
    return scale.transform(X_train).tolist(), scale.transform(X_test).tolist(), y_train, y_test


def r2(y, predicted):
    mean = sum(y) / len(y)
    return 1 - sum((a - b) ** 2 for a, b in zip(y, predicted)) / sum((a - mean) ** 2 for a in y)


def ours_classifier(X_train, X_test, y_train, y_test, classes, epochs, init, seed):
    two = classes == 2
    net = bp.Network([len(X_train[0]), HIDDEN, 1 if two else classes], activation="relu",
                     output_activation="sigmoid" if two else "softmax", loss="cross_entropy",
                     init=init, seed=seed)
    targets = [[float(c)] for c in y_train] if two else \
        [[float(c == k) for k in range(classes)] for c in y_train]
    net.train(X_train, targets, epochs, LR, batch_size=BATCH, optimizer="adam",
              reduction="mean", l2=ALPHA / BATCH)
    return net.accuracy(X_test, [int(c) for c in y_test])


def ours_regressor(X_train, X_test, y_train, y_test, epochs, init, seed):
    mean = sum(y_train) / len(y_train)
    std = (sum((v - mean) ** 2 for v in y_train) / len(y_train)) ** 0.5
    net = bp.Network([len(X_train[0]), HIDDEN, 1], activation="relu",
                     output_activation="linear", init=init, seed=seed)
    net.train(X_train, [[(v - mean) / std] for v in y_train], epochs, LR, batch_size=BATCH,
              optimizer="adam", reduction="mean", l2=ALPHA / BATCH)
    return r2(list(y_test), [row[0] * std + mean for row in net.predict(X_test)])


def theirs(kind, X_train, X_test, y_train, y_test, epochs, seed):
    options = dict(hidden_layer_sizes=(HIDDEN,), solver="adam", batch_size=BATCH,
                   learning_rate_init=LR, alpha=ALPHA, max_iter=epochs, tol=0.0,
                   n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kind == "R^2":
            mean, std = y_train.mean(), y_train.std()
            model = MLPRegressor(**options).fit(X_train, (y_train - mean) / std)
            return r2(list(y_test), [v * std + mean for v in model.predict(X_test)])
        return MLPClassifier(**options).fit(X_train, y_train).score(X_test, y_test)


def timed(runs, f, *args):
    """The mean score over the seeds 0 .. runs-1, and the mean time of a run."""
    scores, start = [], time.perf_counter()
    for seed in range(runs):
        scores.append(f(*args + (seed,)))
    return sum(scores) / runs, (time.perf_counter() - start) / runs


def main(args):
    option = lambda flag, default: (args[args.index(flag) + 1]  # noqa: E731
                                    if flag in args else default)
    epochs, seeds = int(option("--epochs", 200)), int(option("--seeds", 3))
    init = option("--init", "he")
    import sklearn
    print("backprop.py %s (init %r) and scikit-learn %s: %d epochs, batches of %d, Adam lr "
          "%g, a hidden layer of %d ReLU units; scores are means over seeds 0-%d" % (
              bp.__version__, init, sklearn.__version__, epochs, BATCH, LR, HIDDEN, seeds - 1))
    print()
    print("| data (train/test rows) | measure | backprop.py | scikit-learn | difference "
          "| target met | time per run, backprop.py | scikit-learn |")
    print("|---|---|---|---|---|---|---|---|")
    for name, load, classes in (("iris", datasets.load_iris, 3),
                                ("wine", datasets.load_wine, 3),
                                ("breast cancer", datasets.load_breast_cancer, 2),
                                ("digits", datasets.load_digits, 10),
                                ("diabetes", datasets.load_diabetes, 0)):
        data = load()
        parts = split(data.data, data.target, classes)
        kind = "accuracy" if classes else "R^2"
        if classes:
            ours, t_ours = timed(seeds, ours_classifier, *parts + (classes, epochs, init))
        else:
            ours, t_ours = timed(seeds, ours_regressor, *parts + (epochs, init))
        ref, t_ref = timed(seeds, theirs, kind, *parts + (epochs,))
        limit = 0.02 if classes else 0.05
        print("| %s (%d/%d) | %s | %.3f | %.3f | %+.3f | %s | %.1f s | %.1f s |" % (
            name, len(parts[0]), len(parts[1]), kind, ours, ref, ours - ref,
            "yes" if ours >= ref - limit else "no", t_ours, t_ref), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
