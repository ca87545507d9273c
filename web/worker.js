// The page's Python runs here, off the page's thread, so the page never
// freezes.  It loads the runtime the page asks for (?runtime=pyodide, else
// MicroPython's WebAssembly port) from the repository's pinned npm packages,
// puts the repository's own backprop.py and web/page.py in its file system,
// then answers {id, fn, args} with {id, result} or {id, error}.
const runtime = new URL(self.location.href).searchParams.get("runtime") || "micropython";
const modules = "../tools/node_modules/";
let call;

async function start() {
  const started = performance.now();
  const [backprop, page] = await Promise.all(["../backprop.py", "page.py"].map(
    async (path) => {
      const response = await fetch(path);
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.text();
    }));
  let py;
  if (runtime === "pyodide") {
    const { loadPyodide } = await import(modules + "pyodide/pyodide.mjs");
    py = await loadPyodide({ indexURL: new URL(modules + "pyodide/", self.location.href).href });
  } else {
    const { loadMicroPython } = await import(
      modules + "@micropython/micropython-webassembly-pyscript/micropython.mjs");
    // a deep Python stack: the compiled step of a network of a few hundred
    // weights is one function with as many locals (the default 8 KiB is not enough)
    py = await loadMicroPython({ heapsize: 64 * 1024 * 1024, pystack: 256 * 1024,
                                 linebuffer: false, stdout: () => {}, stderr: () => {} });
  }
  py.FS.writeFile("backprop.py", backprop);
  py.FS.writeFile("page.py", page);
  py.runPython("import sys\nsys.path.insert(0, '.')\nimport page");
  call = (request) => {
    py.globals.set("_request", request);
    py.runPython("_answer = page.call(_request)");
    return py.globals.get("_answer");
  };
  return (performance.now() - started) / 1000;
}

const ready = start();
ready.then((seconds) => postMessage({ ready: true, runtime, seconds }),
           (e) => postMessage({ ready: false, error: String(e && e.message || e) }));

onmessage = async (event) => {
  const { id, fn, args } = event.data;
  try {
    await ready;
    postMessage({ id, result: JSON.parse(call(JSON.stringify({ fn, args }))) });
  } catch (e) {
    // a Python exception: its last line is the message that matters
    const text = String(e && e.message || e).trim().split("\n");
    postMessage({ id, error: text[text.length - 1] });
  }
};
