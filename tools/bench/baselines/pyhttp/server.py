"""The tutorial's hello server, rewritten for the benchmark.

Same shape as the original Python server: http.server.BaseHTTPRequestHandler
on a plain (single-threaded) HTTPServer, HTTP/1.0, answering GET / with
"Hello World!" and logging every request with its headers.
Usage: python3 server.py PORT
"""

import http.server
import logging
import sys

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("server")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.info("Hello request: %s %s %s", self.command, self.path, dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"Hello World!")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    log.info("Starting server...")
    server.serve_forever()


if __name__ == "__main__":
    main()
