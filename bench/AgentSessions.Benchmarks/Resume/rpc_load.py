"""Resuming over `agent-sessions rpc`, timed the way a Python client sees it.

Usage: rpc_load.py SESSION ROUNDS WARMUP PARAMS_JSON COMMAND...
Spawns COMMAND (for example `dotnet agent-sessions.dll rpc --store STORE`), speaks JSON-RPC 2.0 with LSP
framing over its pipes, and times session.load of SESSION with the extra PARAMS_JSON merged into its params:
from writing the request to having the whole response parsed into Python objects (json.loads). The first
WARMUP loads are not timed; all run on one connection. Prints one JSON line:
{"messages": n, "samples_ms": [...], "bytes": body bytes of the last load, streamed chunks included}.
"""

import json
import subprocess
import sys
import time


class Client:
    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0
        self.last_bytes = 0

    def call(self, method, params):
        self.next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        # With a partialResultToken, the messages arrive first, in $/progress notifications, each parsed as
        # soon as it is read, while the server prepares the next; the response ends the stream.
        token = params.get("partialResultToken") if params else None
        streamed = []
        total = 0
        while True:
            message = json.loads(self.read_frame())
            total += self.last_bytes
            if message.get("method") == "$/progress" and token is not None and message["params"]["token"] == token:
                streamed.extend(message["params"]["value"]["messages"])
                continue
            break
        self.last_bytes = total
        if message.get("id") != self.next_id or "error" in message:
            raise SystemExit(f"{method} failed: {message}")
        result = message["result"]
        if streamed:
            result["messages"] = streamed + result["messages"]
        return result

    def read_frame(self):
        stdout = self.process.stdout
        length = None
        while True:
            line = stdout.readline()
            if not line:
                raise SystemExit("the server closed its output")
            line = line.strip()
            if not line:
                if length is not None:
                    break
                continue
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = stdout.read(length)
        if len(body) != length:
            raise SystemExit("the server closed its output inside a body")
        self.last_bytes = length
        return body

    def close(self):
        self.call("shutdown", None)
        body = json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.close()
        self.process.wait(30)


def main(session, rounds, warmup, extra, command):
    client = Client(command)
    params = {"id": session, **extra}
    for _ in range(warmup):
        result = client.call("session.load", params)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = client.call("session.load", params)
        samples.append((time.perf_counter() - start) * 1000)
    size = client.last_bytes
    client.close()
    print(json.dumps({"messages": len(result["messages"]), "samples_ms": samples, "bytes": size}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5:])
