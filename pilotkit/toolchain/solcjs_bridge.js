// pilotkit solc-js bridge: loads the official compiler (built to wasm) once and answers
// standard-JSON compile requests over stdin/stdout for as long as the parent process lives.
// Protocol: the bridge first writes one line `{"version": "..."}`. Each request is a line
// `<byte length>\n` followed by that many bytes of standard-JSON input; each answer is the
// same framing around the compiler's standard-JSON output. All sources are passed by content,
// so no import callback is needed.
'use strict';
const path = require('path');
const solc = require(path.resolve(process.argv[2]));

process.stdout.write(JSON.stringify({ version: solc.version() }) + '\n');

let buffer = Buffer.alloc(0);
let expected = -1;

function reply(text) {
  const body = Buffer.from(text, 'utf8');
  process.stdout.write(body.length + '\n');
  process.stdout.write(body);
}

function drain() {
  for (;;) {
    if (expected < 0) {
      const newline = buffer.indexOf(10);
      if (newline < 0) return;
      expected = parseInt(buffer.subarray(0, newline).toString('ascii'), 10);
      buffer = buffer.subarray(newline + 1);
    }
    if (buffer.length < expected) return;
    const request = buffer.subarray(0, expected).toString('utf8');
    buffer = buffer.subarray(expected);
    expected = -1;
    let output;
    try {
      output = solc.compile(request);
    } catch (err) {
      output = JSON.stringify({ errors: [{ severity: 'error', type: 'BridgeError', message: String(err), formattedMessage: String(err) }] });
    }
    reply(output);
  }
}

process.stdin.on('data', (chunk) => { buffer = Buffer.concat([buffer, chunk]); drain(); });
process.stdin.on('end', () => process.exit(0));
