// isobench's Node.js WASI runner: node node_wasi.mjs PHASES_FILE PREOPENS_JSON MODULE [ARGS...]
// Compiles and instantiates the module, runs _start, then writes the phases it timed (ns) to
// PHASES_FILE as JSON, with `trap` set when the module trapped, and exits with the module's code.
import { readFileSync, writeFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [phasesFile, preopensJson, modulePath, ...args] = process.argv.slice(2);
const now = () => process.hrtime.bigint();
const phases = {};
let exitCode = 1;
const started = now();
const bytes = readFileSync(modulePath);
const module = await WebAssembly.compile(bytes);
const compiled = now();
const wasi = new WASI({
  version: "preview1",
  args: [modulePath, ...args],
  env: {},
  preopens: JSON.parse(preopensJson),
  returnOnExit: true,
});
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const instantiated = now();
try {
  exitCode = wasi.start(instance);
} catch (error) {
  phases.trap = String(error);
}
const ended = now();
phases.compile = Number(compiled - started);
phases.instantiate = Number(instantiated - compiled);
phases.run = Number(ended - instantiated);
writeFileSync(phasesFile, JSON.stringify(phases));
process.exit(exitCode);
