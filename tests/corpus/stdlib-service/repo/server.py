from http.server import BaseHTTPRequestHandler


def body(path: str) -> bytes:
    return b"ok" if path == "/healthz" else b"hello"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body(self.path))
