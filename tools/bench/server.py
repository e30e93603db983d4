"""The tutorial's hello server, the Python baseline of make bench.

The same shape as the tutorial's server.py: http.server's single-threaded
HTTPServer and BaseHTTPRequestHandler (HTTP/1.0, a connection per request),
answering every GET with "Hello World!" and logging each request with its
headers. It listens on $PORT (default 8080).
"""

import http.server
import logging
import os


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        logging.info("Hello request: %s %s %s", self.command, self.path, dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"Hello World!")


def main():
    logging.basicConfig(level=logging.INFO)
    logging.info("Starting server...")
    port = int(os.environ.get("PORT", "8080"))
    http.server.HTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
