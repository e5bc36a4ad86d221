#!/usr/bin/env node
// Drives `chat.send` of `agent-sessions rpc` with the real vscode-jsonrpc package, as a VS Code chat panel would:
// initialize with the chat settings, one whole turn with its chat.delta notifications, then one turn cancelled
// through the client's CancellationToken (which sends $/cancelRequest). Prints one JSON line with what it saw;
// any surprise exits non-zero with the reason on stderr.
//
//   node chat.js <path/to/agent-sessions.dll> <store dir> <OpenAI-compatible base URL> <API key>
//
// Run by VscodeJsonRpcTests against the fake OpenAI server it starts; see docs/protocol.md.
'use strict';

const { start } = require('./server');

const [dll, store, endpoint, apiKey] = process.argv.slice(2);
if (!dll || !store || !endpoint || !apiKey) {
  console.error('usage: node chat.js <agent-sessions.dll> <store dir> <base URL> <API key>');
  process.exit(2);
}

// The settings come from initialize only: nothing of the test's environment may configure the server.
const { rpc, version, connection, fail, check, stop, stderr } = start('vscode-jsonrpc chat client', dll, store, {
  timeoutMs: 60_000,
  scrub: ['AGENT_SESSIONS_HOME', 'AGENT_SESSIONS_DEBUG', 'AGENT_SESSIONS_ENDPOINT', 'AGENT_SESSIONS_MODEL', 'OPENAI_API_KEY', 'AGENT_SESSIONS_API_KEY'],
});
let deltas = [];
let onDelta = () => {};
connection.onNotification('chat.delta', (params) => {
  deltas.push(params);
  onDelta();
});
connection.listen();

const text = (list) => list.map((d) => d.text).join('');

async function main() {
  const init = await connection.sendRequest('initialize', {
    processId: process.pid,
    capabilities: {},
    initializationOptions: { chat: { endpoint, model: 'fake-model', apiKey } },
  });
  check(init.capabilities.chat.model === 'fake-model', 'initialize chat model', init.capabilities);

  // A whole turn: the deltas arrive before the response and add up to the stored answer.
  const first = await connection.sendRequest('chat.send', { content: 'hello from vscode' });
  const firstDeltas = deltas;
  check(firstDeltas.length >= 2, 'several chat.delta notifications', firstDeltas);
  check(firstDeltas.every((d) => d.id === first.id && typeof d.requestId === 'number'), 'chat.delta ids', firstDeltas);
  check(text(firstDeltas) === first.message.text, 'the deltas add up to the answer', { deltas: text(firstDeltas), answer: first.message.text });
  check(first.interrupted === false && first.usage.outputTokens > 0, 'chat.send result', first);

  // A turn cancelled with the client's token once three deltas are in.
  deltas = [];
  const source = new rpc.CancellationTokenSource();
  const threeIn = new Promise((resolve) => { onDelta = () => { if (deltas.length >= 3) resolve(); }; });
  const pending = connection.sendRequest('chat.send', { content: 'count slowly' }, source.token);
  await threeIn;
  source.cancel();
  let cancelled = null;
  try {
    const result = await pending;
    fail(`the cancelled chat.send succeeded with ${JSON.stringify(result).slice(0, 200)}`);
  } catch (error) {
    check(error instanceof rpc.ResponseError, 'the cancelled chat.send error type', String(error));
    cancelled = error;
  }
  const partial = text(deltas);
  check(cancelled.data && cancelled.data.message && cancelled.data.message.text === partial, 'the stored partial is what streamed', { data: cancelled.data, partial });

  const loaded = await connection.sendRequest('session.load', { id: first.id });

  const { code } = await stop();

  process.stdout.write(JSON.stringify({
    vscodeJsonrpc: version,
    sessionId: first.id,
    answer: first.message.text,
    answerDeltas: firstDeltas.length,
    cancelCode: cancelled.code,
    cancelDataCode: cancelled.data.code,
    interrupted: cancelled.data.interrupted,
    partial,
    partialDeltas: deltas.length,
    stored: loaded.messages.map((m) => ({ role: m.role, text: m.text })),
    exitCode: code,
    serverStderr: stderr(),
  }) + '\n');
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
