#!/usr/bin/env python3
"""A hostile website for bench/hostile_sweep.sh and bench/sitemap_bomb.sh, on 127.0.0.1 only.
What each host does depends on the mode its name is mapped to in MODES_FILE ("host mode" lines,
or every host the one mode given on the command line):

  crawl_delay   robots.txt asks for Crawl-delay: 3600
  retry_after   every page but / answers 429 with Retry-After: 3600
  drip          pages drip one byte a second, for ever
  sitemap_bomb  robots.txt names 60 sitemaps of 10 MB each, made as they are sent
  endless       every page links to 50 new pages, without end

Usage: hostile_server.py PORT (MODES_FILE | --mode MODE)
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BADGE = '<a href="https://bs.example.gov.cn/verify/{code}"><img src="https://bs.example.gov.cn/badge/{code}.svg"></a>'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="text/html; charset=utf-8", extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def page(self, links=""):
        host = self.headers.get("Host", "").split(":")[0]
        code = CODES.get(host, "4109220000016")
        self.send(200, f"<html><body>{links}{BADGE.format(code=code)}</body></html>")

    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        mode = MODES.get(host, DEFAULT_MODE)
        path = self.path
        try:
            getattr(self, "mode_" + mode)(path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def mode_crawl_delay(self, path):
        if path == "/robots.txt":
            return self.send(200, "User-agent: *\nCrawl-delay: 3600\n", "text/plain")
        self.page('<a href="/a">a</a><a href="/b">b</a>')

    def mode_retry_after(self, path):
        if path == "/robots.txt":
            return self.send(404, "no")
        if path == "/":
            return self.page("".join(f'<a href="/p{i}">p</a>' for i in range(20)))
        self.send(429, "busy", "text/plain", [("Retry-After", "3600")])

    def mode_drip(self, path):
        if path == "/robots.txt":
            return self.send(404, "no")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while True:
            self.wfile.write(b"1\r\n<\r\n")
            self.wfile.flush()
            time.sleep(1)

    def mode_sitemap_bomb(self, path):
        host = self.headers.get("Host", "127.0.0.1")
        if path == "/robots.txt":
            lines = "".join(f"Sitemap: http://{host}/sitemap-{i}.xml\n" for i in range(60))
            return self.send(200, "User-agent: *\nAllow: /\n" + lines, "text/plain")
        if path.startswith("/sitemap-"):
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(b'<?xml version="1.0"?><urlset>')
            for block in range(200):  # 200 blocks of ~50 KB: 10 MB
                text = "".join(f"<url><loc>http://{host}/p/{block}/{i}</loc></url>" for i in range(1000))
                self.chunk(text.encode())
            self.chunk(b"</urlset>")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.page()

    def chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def mode_endless(self, path):
        if path == "/robots.txt":
            return self.send(404, "no")
        base = path.rstrip("/")
        self.page("".join(f'<a href="{base}/{i}">{i}</a>' for i in range(50)))


MODES, CODES, DEFAULT_MODE = {}, {}, "endless"

if __name__ == "__main__":
    port = int(sys.argv[1])
    if sys.argv[2] == "--mode":
        DEFAULT_MODE = sys.argv[3]
    else:
        for line in open(sys.argv[2]):
            host, mode, code = line.split()
            MODES[host], CODES[host] = mode, code
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
