// What both client scripts need: `agent-sessions rpc` spawned on a store with a scrubbed environment, a
// vscode-jsonrpc connection to it, failure and timeout handling that kills the server and prints its stderr, and
// the LSP shutdown/exit handshake. The scripts themselves hold only what they check.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const rpc = require('vscode-jsonrpc/node');

/**
 * Starts the server and connects to it (not listening yet: register handlers, then call connection.listen()).
 * @param {string} name how failures name the client
 * @param {string} dll the built agent-sessions.dll
 * @param {string} store the store directory
 * @param {{timeoutMs: number, scrub: string[]}} options the whole run's deadline; environment variables the server must not see
 */
function start(name, dll, store, { timeoutMs, scrub }) {
  // The package's exports map hides package.json, so read it from disk.
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', 'vscode-jsonrpc', 'package.json'), 'utf8')).version;
  const env = { ...process.env };
  for (const variable of scrub) {
    delete env[variable];
  }

  const child = spawn('dotnet', [dll, 'rpc', '--store', store], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', reject);
  });

  function fail(reason) {
    console.error(`${name}: ${reason}`);
    if (stderr) {
      console.error(`server stderr: ${stderr.trimEnd()}`);
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    process.exit(1);
  }

  function check(condition, what, actual) {
    if (!condition) {
      fail(`${what}; got ${JSON.stringify(actual)}`);
    }
  }

  const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  let closing = false;
  connection.onError(([error]) => fail(`connection error: ${error && error.message}`));
  connection.onClose(() => { if (!closing) fail('the server closed the connection early'); });
  connection.onUnhandledNotification((n) => fail(`unexpected notification from the server: ${n.method}`));

  /** shutdown, then exit; checks both and returns the server's exit code and shutdown's result. */
  async function stop() {
    const shutdown = await connection.sendRequest('shutdown');
    check(shutdown === null, 'shutdown result', shutdown);
    closing = true;
    await connection.sendNotification('exit');
    const { code, signal } = await exited;
    connection.dispose();
    clearTimeout(timer);
    check(code === 0, 'server exit code', { code, signal });
    return { code, shutdown };
  }

  return { rpc, version, connection, fail, check, stop, stderr: () => stderr };
}

module.exports = { start };
