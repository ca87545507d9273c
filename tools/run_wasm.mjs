// Run backprop.py under MicroPython's WebAssembly port or Pyodide, in Node.js.
//
//   node tools/run_wasm.mjs micropython|pyodide JOBS.json
//
// JOBS.json is a list of jobs, each {"argv": [...]} (run backprop.py's
// main() with those arguments) or {"code": "..."} (run a snippet that may
// `import backprop`).  The interpreter starts once (Pyodide needs seconds to
// load) and prints one JSON list of {"status", "stdout", "stderr"}.
// MicroPython-wasm frees memory only between jobs, when control returns here.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [kind, jobsFile] = process.argv.slice(2);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = readFileSync(join(root, "backprop.py"), "utf8");
const jobs = JSON.parse(readFileSync(jobsFile, "utf8"));

// The same Python driver for both interpreters: it catches SystemExit and
// every exception, so the status is what `python backprop.py` would return.
const driver = `
import sys
def _run_job(argv, code):
    status = 0
    try:
        if code is None:
            # MicroPython-wasm has no sys.argv to set: load the module as a
            # script would, then call its main() with the arguments.
            g = {"__name__": "backprop_script"}
            exec(open("backprop.py").read(), g)
            status = g["main"](argv)
        else:
            exec(code, {"__name__": "__job__"})
    except SystemExit as e:
        status = e.args[0] if e.args and e.args[0] is not None else 0
    except BaseException as e:
        sys.stderr.write("Traceback: %s: %s\\n" % (type(e).__name__, e))
        status = 1
    return status
`;

// Output arrives as bytes (MicroPython) or byte buffers (Pyodide); decode at the end.
let out = [], err = [];
const decode = (chunks) => new TextDecoder().decode(Uint8Array.from(chunks.flatMap((c) => Array.from(c))));
let py, run;
if (kind === "micropython") {
  const { loadMicroPython } = await import("@micropython/micropython-webassembly-pyscript");
  // the page's Python stack (web/worker.js): a compiled step of a few hundred
  // weights is one function with as many locals
  py = await loadMicroPython({ stdout: (b) => out.push(b), stderr: (b) => err.push(b),
                               linebuffer: false, pystack: 256 * 1024 });
  py.FS.writeFile("backprop.py", source);
  py.runPython(driver);
  run = (job) => {
    py.globals.set("_job", JSON.stringify(job));
    py.runPython("import json\n_j = json.loads(_job)\n_status = _run_job(_j.get('argv', []), _j.get('code'))");
    return py.globals.get("_status");
  };
} else if (kind === "pyodide") {
  const { loadPyodide } = await import("pyodide");
  py = await loadPyodide();
  py.setStdout({ write: (buf) => { out.push(buf.slice()); return buf.length; } });
  py.setStderr({ write: (buf) => { err.push(buf.slice()); return buf.length; } });
  py.FS.writeFile("backprop.py", source);
  py.runPython(driver);
  run = (job) => {
    py.globals.set("_job", JSON.stringify(job));
    return py.runPython("import json, sys\n_j = json.loads(_job)\n_s = _run_job(_j.get('argv', []), _j.get('code'))\nsys.stdout.flush(); sys.stderr.flush()\n_s");
  };
} else {
  console.error("usage: node run_wasm.mjs micropython|pyodide JOBS.json");
  process.exit(2);
}

const results = [];
for (const job of jobs) {
  out = []; err = [];
  const status = run(job);
  results.push({ status, stdout: decode(out), stderr: decode(err) });
}
process.stdout.write(JSON.stringify(results));
