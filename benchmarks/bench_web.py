"""The page in a real browser, each view timed, for each choice of Python.

    python benchmarks/bench_web.py [--rounds N] [--all]

For each runtime the page offers (the default, MicroPython at once and
Pyodide loaded in the background for the long runs; MicroPython alone;
Pyodide alone) it serves the repository on 127.0.0.1 (counting the bytes of
every file served), opens web/ in headless chromium with a fresh profile
(nothing cached), and measures: the seconds from navigation to
``document.body.dataset.state == "ready"`` and the bytes fetched until the
worked example shows; the article's XOR (10,000 epochs, Play to the last
epoch: Python in a worker, the page drawing between chunks); then, with
XOR's run behind it, a 2-16-16-3 spiral (tanh, softmax, Adam, full batch):
the seconds from Play to its first drawn epoch and its epochs per second;
and each of the article's challenges, from the click to its chart (with
the default, once Pyodide has loaded).  MicroPython alone trains the
challenges' networks on the lists, a minute or two each: only ``--all``
times them.  Needs chromium and tools/node_modules (npm ci), as the tests
do; it drives the browser with the tests' own Browser class.
"""
import json
import os
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
import backprop as bp  # noqa: E402
from test_backprop import Browser  # noqa: E402

SERVED = []
SPIRAL = (("hidden", "16,16"), ("activation", "tanh"), ("output", "softmax"),
          ("loss", "cross_entropy"), ("optimizer", "adam"), ("lr", "0.01"),
          ("epochs", "100000"), ("data", "spiral"))


class Counting(SimpleHTTPRequestHandler):
    extensions_map = dict(SimpleHTTPRequestHandler.extensions_map, **{
        ".mjs": "text/javascript", ".wasm": "application/wasm", ".py": "text/plain"})

    def __init__(self, *args, **kwargs):
        SimpleHTTPRequestHandler.__init__(self, *args, directory=ROOT, **kwargs)

    def do_GET(self):
        SimpleHTTPRequestHandler.do_GET(self)
        path = self.translate_path(self.path)
        if os.path.isfile(path):
            SERVED.append(os.path.getsize(path))

    def log_message(self, *args):
        pass


def _set(browser, selector, value):
    browser.eval("(() => { const e = document.querySelector(%s); e.value = %s; "
                 "e.dispatchEvent(new Event('change', {bubbles: true})); })()"
                 % (json.dumps(selector), json.dumps(value)))


def _progress(browser, starts):
    return "document.querySelector('#progress').textContent.startsWith(%s)" % json.dumps(starts)


def _timed(browser, click, until, timeout=600):
    start = time.perf_counter()
    browser.eval("document.querySelector(%s).click()" % json.dumps(click))
    browser.wait(until, timeout=timeout)
    return time.perf_counter() - start


def measure(url, runtime, challenges):
    """The figures of one page load: a dict."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        browser = Browser(folder)
        try:
            del SERVED[:]
            start = time.perf_counter()
            browser.send("Page.navigate", page=True,
                         url=url + ("?runtime=" + runtime if runtime else ""))
            browser.wait("document.body && document.body.dataset.state === 'ready'")
            out = {"ready": time.perf_counter() - start}
            browser.wait("document.querySelector('[data-symbol=y5]') && " +
                         _progress(browser, "network"))
            out["loaded"] = sum(SERVED) / 1e6
            out["xor"] = _timed(browser, "#play", _progress(browser, "epoch 10000,"))
            if not runtime:         # the long runs go to Pyodide, once it is there
                browser.wait("backpropPage.runtimes.pyodide && "
                             "backpropPage.runtimes.pyodide.seconds !== undefined", timeout=120)
            for name, value in SPIRAL:
                _set(browser, "[name=%s]" % name, value)
            browser.wait(_progress(browser, "network 2-16-16-3"), timeout=60)
            out["first"] = _timed(browser, "#play", _progress(browser, "epoch"))
            time.sleep(1)
            e0, t0 = browser.eval("backpropPage.run().history.length"), time.perf_counter()
            time.sleep(4)
            e1, t1 = browser.eval("backpropPage.run().history.length"), time.perf_counter()
            browser.eval("document.querySelector('#pause').click()")
            out["spiral"] = (e1 - e0) / (t1 - t0)
            for story in bp.CHALLENGES if challenges else ():
                _set(browser, "#story", story)
                out[story] = _timed(browser, "#tell", "document.querySelector('#story-text')"
                                    ".textContent.length > 0", timeout=900)
            assert browser.errors == [], browser.errors
            return out
        finally:
            browser.close()


def main(argv):
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/web/" % server.server_address[1]
    start = time.perf_counter()
    bp.Network([2, 4, 1], seed=0).train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=1)
    print("headless chromium, best of %d rounds; native CPython XOR: %.3f s"
          % (rounds, time.perf_counter() - start))
    columns = ["ready", "loaded", "xor", "first", "spiral"] + list(bp.CHALLENGES)
    print("%-12s %6s %6s %6s %6s %7s %9s %9s %11s" % (
        "runtime", "ready", "MB", "XOR", "first", "spiral", "vanishing", "exploding",
        "overfitting"))
    print("%-12s %6s %6s %6s %6s %7s %9s %9s %11s" % (
        "", "(s)", "", "(s)", "(s)", "(ep/s)", "(s)", "(s)", "(s)"))
    for runtime in ("", "micropython", "pyodide"):
        challenges = runtime != "micropython" or "--all" in argv
        runs = [measure(url, runtime, challenges) for _ in range(rounds)]
        best = dict((k, (max if k == "spiral" else min)(r[k] for r in runs))
                    for k in columns if k in runs[0])
        print("%-12s %6.2f %6.2f %6.2f %6.2f %7.0f %9s %9s %11s" % tuple(
            [runtime or "default"] + [best[k] for k in columns[:5]] + [
                "%.1f" % best[k] if k in best else "(--all)" for k in columns[5:]]))
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
