"""backprop.py's ONNX against onnx and onnxruntime, where they are installed.

    python benchmarks/check_onnx.py

Trains the iris model (`train benchmarks/iris.csv`), exports it (`export
--to onnx`), checks the file with onnx.checker.check_model(full_check=True)
and runs it in onnxruntime on the table's rows, whose inputs are read as
`predict` reads them: its probabilities must be `predict --proba`'s to 1e-5.
Needs `pip install onnx onnxruntime` (with numpy); the test suite never does:
without them it says so and checks nothing.
"""
import csv
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
import backprop as bp  # noqa: E402


def main():
    try:
        import numpy
        import onnx
        import onnxruntime
    except ImportError as e:
        print("nothing checked: %s (pip install onnx onnxruntime)" % e)
        return 0
    data = os.path.join(HERE, "iris.csv")
    with tempfile.TemporaryDirectory() as folder:
        model, path = os.path.join(folder, "iris.json"), os.path.join(folder, "iris.onnx")
        for args in (["train", data, "--save", model], ["export", model, "--to", "onnx", "--out",
                                                         path]):
            subprocess.run([sys.executable, os.path.join(ROOT, "backprop.py")] + args, check=True,
                           capture_output=True)
        onnx.checker.check_model(onnx.load(path), full_check=True)
        proba = subprocess.run([sys.executable, os.path.join(ROOT, "backprop.py"), "predict",
                                model, data, "--proba"], check=True, capture_output=True,
                               text=True).stdout
        want = [[float(v) for v in row[-3:]] for row in list(csv.reader(proba.splitlines()))[1:]]
        rows = bp._ModelRows(bp.load(model).csv, data)
        X = numpy.array([rows.inputs(n, cells) for n, cells in rows.csv.records()],
                        dtype=numpy.float32)
        got = onnxruntime.InferenceSession(path).run(None, {"input": X})[0]
    worst = float(abs(got - numpy.array(want)).max())
    print("onnx %s: the checker passes; onnxruntime %s: %d rows, largest difference from "
          "predict --proba %.2g (at most 1e-5: %s)" % (onnx.__version__, onnxruntime.__version__,
                                                      len(want), worst, worst <= 1e-5))
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
