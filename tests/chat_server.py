"""A real local OpenAI-compatible HTTP server for tests: /v1/chat/completions, streamed as
server-sent events the way vLLM and llama.cpp's server send them. What it answers is set by
the test (the client and the features that read the answer are what is tested)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServer:
    def __init__(self, model: str = "chatglm3-6b"):
        self.model = model
        self.answers: list[list[str]] = []  # each answer as its streamed pieces
        self.requests: list[tuple[str, dict]] = []
        #: answer a request with response_format with 400, as servers without it do
        self.refuse_schema = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append((self.path, body))
                if body.get("model") != server.model:
                    self._send(404, "application/json", {"error": {"message": "model not found"}})
                    return
                if server.refuse_schema and "response_format" in body:
                    message = {"error": {"message": "response_format is not supported"}}
                    self._send(400, "application/json", message)
                    return
                pieces = server.answers.pop(0) if server.answers else ["(no answer set)"]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in pieces:
                    chunk = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def _send(self, code, kind, payload):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.end_headers()
                self.wfile.write(json.dumps(payload).encode())

            def log_message(self, *args):
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def answer(self, text: str, piece: int = 12) -> None:
        """Queue an answer, streamed in pieces of ``piece`` characters."""
        self.answers.append([text[i : i + piece] for i in range(0, len(text), piece)] or [""])

    def close(self) -> None:
        self._http.shutdown()
