// The program Node.js runs for strata: node:wasi (preview1) around the
// module, with strata's messages for what would otherwise be a JavaScript
// stack trace. It is passed with -e, the run's configuration as the last
// argument (JSON: module, name, args, env, preopens, maxPages, verb).
#include "wasm/node_runner.hpp"

namespace strata::wasm {

namespace {

// Exit codes: the module's own; 125 when the module cannot be started
// (strata's "could not get that far"); 134 for a trap, as wasmtime (a
// SIGABRT-like end).
constexpr std::string_view kScript = R"js('use strict';
const { readFileSync } = require('node:fs');
const { WASI } = require('node:wasi');
const config = JSON.parse(process.argv[process.argv.length - 1]);
const name = `'${config.name}'`;
const stop = (text, code) => {
  process.stderr.write(`strata: ${config.verb}: ${text}\n`);
  process.exit(code);
};
let module;
try {
  module = new WebAssembly.Module(readFileSync(config.module));
} catch (e) {
  stop(`compile module ${name}: ${e.message}`, 125);
}
const wasi = new WASI({
  version: 'preview1', args: config.args, env: config.env, preopens: config.preopens, returnOnExit: true,
});
const imports = wasi.getImportObject();
for (const wanted of WebAssembly.Module.imports(module)) {
  if (imports[wanted.module]?.[wanted.name] === undefined) {
    stop(`instantiate module ${name}: imports ${wanted.module}.${wanted.name}, which node does not provide`, 125);
  }
}
let instance;
try {
  instance = new WebAssembly.Instance(module, imports);
} catch (e) {
  const cap = e instanceof RangeError && config.maxPages !== undefined
    ? ` (--wasm-memory allows ${config.maxPages} pages of 64 KiB)` : '';
  stop(`instantiate module ${name}: ${e.message}${cap}`, 125);
}
let code;
try {
  code = wasi.start(instance);
} catch (e) {
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
    stop(`module ${name} trapped: ${e.message}`, 134);
  }
  stop(`start module ${name}: ${e.message}`, 125);
}
process.exitCode = code;
)js";

}  // namespace

std::string_view node_runner_script() {
  return kScript;
}

}  // namespace strata::wasm
