#!/usr/bin/env node
// Drives `agent-sessions rpc` with the real vscode-jsonrpc package, the way a VS Code extension would, and
// prints one JSON line with what it saw. Any surprise exits non-zero with the reason on stderr.
//
//   node client.js <path/to/agent-sessions.dll> <store dir>
//
// Run by VscodeJsonRpcTests; see docs/protocol.md.
'use strict';

const { start } = require('./server');

const [dll, store] = process.argv.slice(2);
if (!dll || !store) {
  console.error('usage: node client.js <agent-sessions.dll> <store dir>');
  process.exit(2);
}

const { rpc, version, connection, fail, check, stop } = start('vscode-jsonrpc client', dll, store, {
  timeoutMs: 30_000,
  scrub: ['AGENT_SESSIONS_HOME', 'AGENT_SESSIONS_DEBUG'],
});
connection.listen();

async function main() {
  const created = await connection.sendRequest('session.create', { title: 'vscode-jsonrpc client', tags: ['vscode'] });
  check(typeof created.id === 'string' && created.title === 'vscode-jsonrpc client' && created.messageCount === 0, 'session.create result', created);

  const appended = await connection.sendRequest('session.append', { role: 'user', content: 'how do zebras sleep' });
  check(appended.messages.length === 1 && appended.messages[0].seq === 1 && appended.session.id === created.id, 'session.append result', appended);

  // A notification is carried out but never answered; the next request's response proves it was handled, in order.
  await connection.sendNotification('session.tag', { id: created.id, add: ['notified'] });

  const loaded = await connection.sendRequest('session.load', { id: created.id });
  check(loaded.messages.length === 1 && loaded.messages[0].id === appended.messages[0].id && loaded.messages[0].text === 'how do zebras sleep', 'session.load messages', loaded.messages);
  check(loaded.tags.includes('notified'), 'session.load tags after the notification', loaded.tags);

  const search = await connection.sendRequest('session.search', { query: 'zebras' });
  check(search.hits.length >= 1 && search.hits[0].sessionId === created.id, 'session.search hits', search);

  let unknownCode = null;
  try {
    const result = await connection.sendRequest('no.such.method', {});
    fail(`no.such.method succeeded with ${JSON.stringify(result)}`);
  } catch (error) {
    check(error instanceof rpc.ResponseError, 'no.such.method error type', String(error));
    unknownCode = error.code;
  }
  check(unknownCode === -32601, 'no.such.method error code', unknownCode);

  const { code, shutdown } = await stop();

  process.stdout.write(JSON.stringify({
    vscodeJsonrpc: version,
    sessionId: created.id,
    messageId: appended.messages[0].id,
    messageCount: loaded.messages.length,
    tags: loaded.tags,
    searchHits: search.hits.length,
    unknownMethodCode: unknownCode,
    shutdownResult: shutdown,
    exitCode: code,
  }) + '\n');
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
