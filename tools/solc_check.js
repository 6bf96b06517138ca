#!/usr/bin/env node
// Developer aid: compile the given Solidity files with the project's pinned solc-js for one EVM version
// and print errors as file:line:col. Usage: node tools/solc_check.js <evmVersion> <file.sol>...
// (pilotkit's own compiler, `pilotkit compile`, is the real build; this is only a quick syntax check.)
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'node_modules', 'solc'));
const [evm, ...files] = process.argv.slice(2);
const sources = {};
for (const f of files) sources[path.relative(root, path.resolve(f))] = { content: fs.readFileSync(f, 'utf8') };
function findImports(p) {
  for (const base of [root, path.join(root, 'node_modules')]) {
    const f = path.join(base, p);
    if (fs.existsSync(f)) return { contents: fs.readFileSync(f, 'utf8') };
  }
  return { error: 'not found: ' + p };
}
const input = {
  language: 'Solidity', sources,
  settings: { evmVersion: evm, optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
let bad = false;
for (const e of out.errors || []) { console.log(e.formattedMessage); if (e.severity === 'error') bad = true; }
for (const [file, cs] of Object.entries(out.contracts || {}))
  for (const [name, c] of Object.entries(cs))
    if (sources[file]) console.log(`${file}:${name} runtime ${c.evm.deployedBytecode.object.length / 2} bytes`);
process.exit(bad ? 1 : 0);
