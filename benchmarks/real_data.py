"""backprop.py's command line with its defaults, against scikit-learn's.

    python benchmarks/real_data.py [--seeds N] [--keep DIR] [-- TRAIN OPTIONS]

Writes four data sets bundled with scikit-learn to CSV files as a user
would have them, each split once (75/25, stratified for classes,
``random_state=0``) into a training and a test file:

- cancer: breast cancer, 30 features, the target "diagnosis" as text (2 classes);
- wine: 13 features, the target "cultivar" as text in the sixth column (3 classes);
- digits: 64 features, the target "digit" as whole numbers (10 classes);
- diabetes: 10 features, the target "progression" a number (regression).

Then it runs, as a user would, ``python backprop.py train NAME_train.csv
--target T --test-file NAME_test.csv`` (with the options after ``--``, if
any) with ``--seed`` 0, 1, ... and reads the test score it prints; and
scikit-learn's ``MLPClassifier()`` / ``MLPRegressor()`` with every default,
on the features standardized by ``StandardScaler`` fitted on the training
file, with ``random_state`` 0, 1, ...  The table shows the mean test
accuracy (R^2 for diabetes) and time per run.  The target: within 0.01
accuracy (0.03 R^2) of scikit-learn's, under 60 s a run.

Needs scikit-learn (pip install scikit-learn); the test suite never runs it.
"""
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "backprop.py")

try:
    from sklearn import datasets
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler
except ImportError:
    sys.exit("real_data.py needs scikit-learn: python -m pip install scikit-learn")

# name, loader, target's name, class names (True: whole numbers; None: a
# number to regress), the target's column (None: the last)
SETS = [("cancer", datasets.load_breast_cancer, "diagnosis", ["malignant", "benign"], None),
        ("wine", datasets.load_wine, "cultivar", ["barolo", "grignolino", "barbera"], 5),
        ("digits", datasets.load_digits, "digit", True, None),
        ("diabetes", datasets.load_diabetes, "progression", None, None)]


def write_set(folder, name, load, target, classes, where):
    """The training and test files of one data set; their paths."""
    data = load()
    names = getattr(data, "feature_names", None)
    names = [str(n) for n in names] if names is not None and len(names) else \
        ["p%d" % i for i in range(data.data.shape[1])]
    X_a, X_b, y_a, y_b = train_test_split(data.data, data.target, test_size=0.25,
                                          random_state=0,
                                          stratify=data.target if classes else None)
    paths = []
    for part, X, y in (("train", X_a, y_a), ("test", X_b, y_b)):
        k = len(names) if where is None else where
        path = os.path.join(folder, "%s_%s.csv" % (name, part))
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(names[:k] + [target] + names[k:])
            for x, t in zip(X, y):
                label = classes[t] if isinstance(classes, list) else \
                    "%d" % t if classes else repr(float(t))
                row = [repr(float(v)) for v in x]
                out.writerow(row[:k] + [label] + row[k:])
        paths.append(path)
    return paths


def ours(train, test, target, seed, options):
    """backprop.py's test score and seconds, from its printed lines."""
    start = time.perf_counter()
    p = subprocess.run([sys.executable, SCRIPT, "train", train, "--target", target,
                        "--test-file", test, "--seed", str(seed)] + options,
                       capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if p.returncode:
        sys.exit(p.stderr)
    flat = " ".join(p.stdout.split())
    m = re.search(r"test accuracy ([0-9.]+)", flat) or re.search(r"test MSE .*?R\^2 (-?[0-9.]+)",
                                                                   flat)
    epochs = re.search(r"stopped at epoch (\d+)|trained (\d+) epochs", flat)
    return float(m.group(1)), seconds, int(epochs.group(1) or epochs.group(2))


def theirs(train, test, target, classes, seed):
    """scikit-learn's test score and seconds, every option its default."""
    def load(path):
        with open(path) as f:
            rows = list(csv.reader(f))
        k = rows[0].index(target)
        return [[float(v) for j, v in enumerate(r) if j != k] for r in rows[1:]], \
            [r[k] if classes else float(r[k]) for r in rows[1:]]
    (X_a, y_a), (X_b, y_b) = load(train), load(test)
    scale = StandardScaler().fit(X_a)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = (MLPClassifier if classes else MLPRegressor)(random_state=seed)
        model.fit(scale.transform(X_a), y_a)
    seconds = time.perf_counter() - start
    if classes:
        return model.score(scale.transform(X_b), y_b), seconds
    return r2_score(y_b, model.predict(scale.transform(X_b))), seconds


def main(argv):
    options = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else 3
    folder = argv[argv.index("--keep") + 1] if "--keep" in argv else tempfile.mkdtemp()
    print("backprop.py train DATA --target T --test-file TEST %s(seeds 0-%d), against "
          "scikit-learn's MLP defaults" % (" ".join(options) + " " if options else "",
                                           seeds - 1))
    print("")
    print("| data (train/test rows) | measure | backprop.py | scikit-learn | difference | "
          "target met | epochs | time per run, backprop.py | scikit-learn |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, load, target, classes, where in SETS:
        train, test = write_set(folder, name, load, target, classes, where)
        a = [ours(train, test, target, seed, options) for seed in range(seeds)]
        b = [theirs(train, test, target, classes, seed) for seed in range(seeds)]
        score_a, score_b = statistics.mean(r[0] for r in a), statistics.mean(r[0] for r in b)
        with open(train) as f, open(test) as g:
            rows = (sum(1 for _ in f) - 1, sum(1 for _ in g) - 1)
        met = score_a >= score_b - (0.01 if classes else 0.03) and max(r[1] for r in a) < 60
        print("| %s (%d/%d) | %s | %.3f | %.3f | %+.3f | %s | %d | %.1f s | %.1f s |" % (
            name, rows[0], rows[1], "accuracy" if classes else "R^2", score_a, score_b,
            score_a - score_b, "yes" if met else "no", statistics.mean(r[2] for r in a),
            statistics.mean(r[1] for r in a), statistics.mean(r[1] for r in b)))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
