#!/usr/bin/env node
// Drives `agent-sessions mcp` with the official MCP TypeScript SDK, the way an MCP-speaking agent would, and
// prints one JSON line with what it saw. Any surprise exits non-zero with the reason on stderr.
//
//   node client.mjs <path/to/agent-sessions.dll> <store dir> <query>
//
// Run by TypeScriptSdkTests; see docs/mcp.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const TIMEOUT_MS = 30_000;

const [dll, store, query] = process.argv.slice(2);
if (!dll || !store || !query) {
  console.error('usage: node client.mjs <agent-sessions.dll> <store dir> <query>');
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
// The package's exports map hides package.json, so read it from disk.
const version = JSON.parse(fs.readFileSync(path.join(here, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json'), 'utf8')).version;

function fail(reason) {
  console.error(`typescript mcp client: ${reason}`);
  process.exit(1);
}

const timer = setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS);

const env = { ...process.env };
delete env.AGENT_SESSIONS_HOME;
delete env.AGENT_SESSIONS_DEBUG;
const transport = new StdioClientTransport({ command: 'dotnet', args: [dll, 'mcp', '--store', store], env, stderr: 'pipe' });
let stderr = '';
transport.stderr?.on('data', (chunk) => { stderr += chunk; });

const client = new Client({ name: 'agent-sessions-typescript-test', version: '1.0.0' });

async function main() {
  await client.connect(transport);
  const server = client.getServerVersion();

  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();

  // The SDK checks structuredContent against the tool's outputSchema: a mismatch throws here.
  const search = await client.callTool({ name: 'search_sessions', arguments: { query, limit: 5 } });
  if (search.isError) {
    fail(`search_sessions failed: ${JSON.stringify(search.content)}`);
  }

  // Every other read tool once, on the first hit's session: each result is checked against its schema too.
  const sessionId = search.structuredContent.hits[0]?.sessionId;
  const others = {};
  for (const [name, args] of [['list_sessions', { limit: 5 }], ['read_session', { sessionId, limit: 5 }], ['session_info', { sessionId }]]) {
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) {
      fail(`${name} failed: ${JSON.stringify(result.content)}`);
    }
    others[name] = result.structuredContent;
  }

  const bad = await client.callTool({ name: 'search_sessions', arguments: { query, limit: 'ten' } });

  await client.close();
  clearTimeout(timer);
  process.stdout.write(JSON.stringify({
    sdk: version,
    server,
    tools: names,
    hits: search.structuredContent.hits,
    listed: others.list_sessions.sessions.map((s) => s.id),
    read: others.read_session.messages.map((m) => m.text),
    infoMessageCount: others.session_info.messageCount,
    textMatchesStructured: JSON.stringify(JSON.parse(search.content[0].text)) === JSON.stringify(search.structuredContent),
    badIsError: bad.isError === true,
    badMessage: bad.content[0]?.text,
    serverStderr: stderr,
  }) + '\n');
}

main().catch((error) => fail(`${error && error.stack ? error.stack : String(error)}\nserver stderr: ${stderr}`));
