"""A chat-completion server on 127.0.0.1 for the LLM tests.

Runs COMMAND with CUPILOT_LLM_URL pointing at a real HTTP server on a free
loopback port, serves the answers of SCRIPT in order, logs every request,
and exits with COMMAND's exit status:

  chat_server.py --script SCRIPT.json [--log LOG.jsonl] [--refuse] -- COMMAND...

SCRIPT is a JSON list; request i gets entry min(i, len - 1). An entry:
  status    HTTP status (200)
  content   the assistant's text, wrapped as an OpenAI chat completion
            (or an Anthropic message with "format": "anthropic")
  error     an error object's message ({"error": {"message": ...}})
  raw       the body as it is (instead of content/error)
  pad       bytes of padding added to content (oversized answers)
  delay     seconds to wait before answering (timeouts)
  headers   extra response headers
LOG gets every request as text: the path, the headers cupilot must send,
the body's fields and its messages. --refuse points CUPILOT_LLM_URL at a port
where nothing listens (connection refused).
"""
import argparse
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time


def describe(index, request, body):
    """A request as text: request line, headers, body fields, messages."""
    out = ["=== request %d" % index, "POST " + request.path]
    for name in ("Authorization", "x-api-key", "anthropic-version",
                 "Content-Type"):
        if request.headers.get(name) is not None:
            out.append("header %s: %s" % (name.lower(), request.headers[name]))
    try:
        parsed = json.loads(body)
    except ValueError:
        out.append("body (not JSON): " + body.decode("utf-8", "replace"))
        return "\n".join(out) + "\n"
    for key in sorted(parsed):
        if key not in ("messages", "system"):
            out.append("body %s: %s" % (key, json.dumps(parsed[key])))
    if "system" in parsed:
        out.append("--- system")
        out.append(parsed["system"])
    for i, m in enumerate(parsed.get("messages", [])):
        out.append("--- message %d (%s)" % (i, m.get("role")))
        out.append(m.get("content", ""))
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--script")
    parser.add_argument("--log")
    parser.add_argument("--refuse", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    script = json.load(open(args.script)) if args.script else [{}]
    lock = threading.Lock()
    served = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *unused):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                index = served[0]
                served[0] += 1
                if args.log:
                    with open(args.log, "a") as log:
                        log.write(describe(index, self, body))
            step = script[min(index, len(script) - 1)]
            time.sleep(step.get("delay", 0))
            if "raw" in step:
                payload = step["raw"].encode()
            elif "error" in step:
                payload = json.dumps({"error": {"message": step["error"]}}).encode()
            else:
                text = step.get("content", "") + "x" * step.get("pad", 0)
                if step.get("format") == "anthropic":
                    answer = {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "text", "text": text}],
                    }
                else:
                    answer = {
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                payload = json.dumps(answer).encode()
            try:
                self.send_response(step.get("status", 200))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in step.get("headers", {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout, size limit)

    env = dict(os.environ)
    if args.refuse:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
    else:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    env["CUPILOT_LLM_URL"] = "http://127.0.0.1:%d/v1" % port
    sys.stdout.flush()
    result = subprocess.run(command, env=env)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
