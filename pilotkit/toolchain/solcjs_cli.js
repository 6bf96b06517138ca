#!/usr/bin/env node
// pilotkit solc-js CLI: makes the official compiler built to wasm (the npm package `solc`) answer the
// subset of the native `solc` command line that py-solc-x and Brownie use, so tools that expect a
// native binary (e.g. in ~/.solcx/solc-v<version>) can run without downloading one.
//
// Usage: node solcjs_cli.js <solc module dir> [solc options...]
// Supported: --version, --help, --standard-json [file | -], --allow-paths a,b, --base-path p,
// --include-path p (repeatable). Other options are refused the way native solc refuses them.
// In --standard-json mode only the compiler's JSON is printed to stdout, and sources that solc asks
// for by import (after applying the input's remappings) are read from disk inside the allowed folders.
'use strict';
const fs = require('fs');
const path = require('path');

const NO_VALUE = new Set(['--version', '--help', '--standard-json']);
const WITH_VALUE = new Set(['--allow-paths', '--base-path', '--include-path']);
// Options native solc accepts that change nothing in --standard-json mode.
const IGNORED = new Set(['--pretty-json', '--no-color', '--color']);

function fail(message, code) {
  process.stderr.write(message + '\n');
  process.exitCode = code;
}

function parseArgs(argv) {
  const opts = { flags: new Set(), allowPaths: [], basePath: '', includePaths: [], inputs: [] };
  for (let i = 0; i < argv.length; i += 1) {
    let arg = argv[i];
    let value = null;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (NO_VALUE.has(arg) || IGNORED.has(arg)) {
      opts.flags.add(arg);
    } else if (WITH_VALUE.has(arg)) {
      if (value === null) {
        i += 1;
        if (i >= argv.length) throw new Error(`the argument for option '${arg}' should follow immediately after the option`);
        value = argv[i];
      }
      if (arg === '--allow-paths') opts.allowPaths.push(...value.split(',').filter(Boolean));
      else if (arg === '--base-path') opts.basePath = value;
      else opts.includePaths.push(value);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new Error(`unrecognised option '${arg}'`);
    } else {
      opts.inputs.push(arg);
    }
  }
  return opts;
}

function isInside(file, folder) {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realOrResolved(p) {
  try {
    return fs.realpathSync(p);
  } catch (err) {
    return path.resolve(p);
  }
}

// Remappings as solc applies them: `[context:]prefix=target`, the longest matching prefix wins.
function parseRemappings(list) {
  const out = [];
  for (const entry of Array.isArray(list) ? list : []) {
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    const left = entry.slice(0, eq);
    const colon = left.indexOf(':');
    out.push({ prefix: colon >= 0 ? left.slice(colon + 1) : left, target: entry.slice(eq + 1) });
  }
  return out;
}

function applyRemappings(unit, remappings) {
  let best = null;
  for (const r of remappings) {
    if (r.prefix && unit.startsWith(r.prefix) && (!best || r.prefix.length > best.prefix.length)) best = r;
  }
  return best ? best.target + unit.slice(best.prefix.length) : null;
}

function makeImportReader(opts, remappings) {
  const cwd = process.cwd();
  const base = opts.basePath ? path.resolve(cwd, opts.basePath) : cwd;
  const roots = [base, ...opts.includePaths.map((p) => path.resolve(cwd, p))];
  const allowed = [...roots, ...opts.allowPaths.map((p) => path.resolve(cwd, p))].map(realOrResolved);
  return function readImport(unit) {
    // solc applies the remappings before asking; applying them again only matters for callers that
    // hand over names solc could not remap (harmless otherwise, since a remapped name no longer matches).
    const names = [unit];
    const remapped = applyRemappings(unit, remappings);
    if (remapped && remapped !== unit) names.push(remapped);
    const searched = [];
    let refused = null;
    for (const name of names) {
      for (const root of path.isAbsolute(name) ? [''] : roots) {
        const candidate = path.resolve(root || '/', name);
        searched.push(candidate);
        if (!fs.existsSync(candidate) || !fs.statSync(candidate).isFile()) continue;
        const real = realOrResolved(candidate);
        if (!allowed.some((folder) => isInside(real, folder))) {
          refused = candidate;
          continue;
        }
        return { contents: fs.readFileSync(real, 'utf8') };
      }
    }
    if (refused) return { error: `File outside of allowed directories. The following are allowed: ${allowed.join(', ')}. (${refused})` };
    return { error: `File not found. Searched the following locations: ${searched.map((s) => `"${s}"`).join(', ')}.` };
  };
}

function readInput(opts) {
  const source = opts.inputs.find((p) => p !== '-');
  return fs.readFileSync(source === undefined ? 0 : source, 'utf8');
}

function standardJson(solc, opts) {
  const text = readInput(opts);
  let remappings = [];
  try {
    remappings = parseRemappings(((JSON.parse(text) || {}).settings || {}).remappings);
  } catch (err) {
    // Malformed input: the compiler itself reports it as a JSONError below.
  }
  let output;
  try {
    output = solc.compile(text, { import: makeImportReader(opts, remappings) });
  } catch (err) {
    output = JSON.stringify({
      errors: [{ component: 'general', severity: 'error', type: 'InternalCompilerError', message: String(err), formattedMessage: String(err) }],
    });
  }
  process.stdout.write(output + '\n');
}

function main() {
  const [moduleDir, ...argv] = process.argv.slice(2);
  if (!moduleDir) return fail('usage: solcjs_cli.js <solc module dir> [solc options]', 2);
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    return fail(err.message, 1);
  }
  if (opts.flags.has('--help')) {
    process.stdout.write('solc, the solidity compiler commandline interface (pilotkit solc-js shim)\n'
      + 'Usage: solc --version | solc --standard-json [--base-path P] [--include-path P] [--allow-paths A,B] [file|-]\n');
    return undefined;
  }
  const solc = require(path.resolve(moduleDir));
  if (opts.flags.has('--version')) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return undefined;
  }
  if (opts.flags.has('--standard-json')) return standardJson(solc, opts);
  return fail('only --version and --standard-json are supported by the pilotkit solc-js shim', 1);
}

main();
