"""The page in a real browser: time to ready, bytes loaded, XOR's training.

    python benchmarks/bench_web.py [--rounds N]

For each runtime (MicroPython-wasm, Pyodide) it serves the repository on
127.0.0.1 (counting the bytes of every file served), opens web/ in headless
chromium with a fresh profile (nothing cached), and measures the seconds
from navigation to ``document.body.dataset.state == "ready"``, the bytes
the page and its worker fetched, and the seconds the page takes to train
the article's XOR network (10,000 epochs, Play to the last epoch: Python in
the worker, the page drawing between chunks), against the same training in
this process's CPython.  Needs chromium and tools/node_modules (npm ci), as
the tests do; it drives the browser with the tests' own Browser class.
"""
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


def measure(url, runtime):
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        browser = Browser(folder)
        try:
            del SERVED[:]
            start = time.perf_counter()
            browser.send("Page.navigate", page=True, url=url + "?runtime=" + runtime)
            browser.wait("document.body && document.body.dataset.state === 'ready'")
            ready = time.perf_counter() - start
            browser.wait("document.querySelector('#progress').textContent.startsWith('network')")
            loaded = sum(SERVED)
            start = time.perf_counter()
            browser.eval("document.querySelector('#play').click()")
            browser.wait("document.querySelector('#progress').textContent"
                         ".startsWith('epoch 10000,')", timeout=300)
            return ready, loaded, time.perf_counter() - start
        finally:
            browser.close()


def main(argv):
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/web/" % server.server_address[1]
    native = []
    for _ in range(rounds):
        start = time.perf_counter()
        bp.Network([2, 4, 1], seed=0).train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=1)
        native.append(time.perf_counter() - start)
    print("headless chromium, best of %d rounds; XOR: 10,000 epochs; native CPython %.3f s"
          % (rounds, min(native)))
    print("%-12s %14s %14s %16s %14s" % ("runtime", "ready (s)", "loaded (MB)", "XOR in page (s)",
                                          "x native"))
    for runtime in ("micropython", "pyodide"):
        runs = [measure(url, runtime) for _ in range(rounds)]
        best = [min(r[k] for r in runs) for k in range(3)]
        print("%-12s %14.2f %14.2f %16.2f %14.1f" % (runtime, best[0], best[1] / 1e6, best[2],
                                                      best[2] / min(native)))
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
