"""The tutorial's hello server, the Python baseline of make bench.

Like the tutorial's server.py: http.server's single-threaded HTTPServer,
answering every GET with "Hello World!" and logging each request with its
headers. It listens on $PORT.
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


logging.basicConfig(level=logging.INFO)
logging.info("Starting server...")
http.server.HTTPServer(("", int(os.environ["PORT"])), Handler).serve_forever()
