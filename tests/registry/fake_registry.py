#!/usr/bin/env python3
"""A fake OCI distribution registry for tests/integration/pull_test.cpp.

Serves one OCI image layout (read-only) under any repository name, with
faults a real registry does not make on demand:

  --mode plain          serve faithfully (Range requests too)
  --mode cut            the first GET of the largest blob sends its headers
                        (full Content-Length) and --cut-bytes bytes, then
                        drops the connection; later GETs are served, with Range
  --mode cut-then-fail  like cut, but the second GET of that blob gets a 500:
                        the pull fails and a later pull must resume
  --mode ignore-range   like cut, but Range headers are then ignored (200)
  --mode corrupt        the largest blob is served with one byte flipped

Every request is appended to --log as one JSON line {method, path, range}.
The port (bound on 127.0.0.1, chosen by the kernel) is written to --port-file.
"""
import argparse
import hashlib
import http.server
import json
import os
import socket
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layout", required=True)
    ap.add_argument("--mode", default="plain")
    ap.add_argument("--cut-bytes", type=int, default=1000)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    blobs_dir = os.path.join(args.layout, "blobs", "sha256")
    with open(os.path.join(args.layout, "index.json")) as f:
        top = json.load(f)["manifests"][0]
    largest = max(os.listdir(blobs_dir), key=lambda h: os.path.getsize(os.path.join(blobs_dir, h)))
    state = {"gets": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def record(self):
            with lock, open(args.log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "range": self.headers.get("Range")}) + "\n")

        def reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            self.record()
            parts = self.path.split("?")[0].split("/")
            if self.path.rstrip("/") == "/v2":
                return self.reply(200, b"{}", {"Content-Type": "application/json"})
            if len(parts) < 5 or parts[1] != "v2":
                return self.reply(404)
            kind, ref = parts[-2], parts[-1]
            if kind == "manifests":
                digest = top["digest"] if not ref.startswith("sha256:") else ref
                return self.serve(digest[7:], {"Content-Type": top["mediaType"],
                                               "Docker-Content-Digest": digest})
            if kind == "blobs" and ref.startswith("sha256:"):
                return self.serve(ref[7:], {"Content-Type": "application/octet-stream"})
            return self.reply(404)

        def serve(self, hexdigest, headers):
            path = os.path.join(blobs_dir, hexdigest)
            if not os.path.isfile(path):
                body = json.dumps({"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]})
                return self.reply(404, body.encode(), {"Content-Type": "application/json"})
            with open(path, "rb") as f:
                data = f.read()
            if hexdigest == largest:
                with lock:
                    state["gets"] += 1
                    n = state["gets"]
                if args.mode == "corrupt":
                    data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]
                if args.mode in ("cut", "cut-then-fail", "ignore-range") and n == 1:
                    return self.cut(data, headers)
                if args.mode == "cut-then-fail" and n == 2:
                    return self.reply(500, b"{}", {"Content-Type": "application/json"})
            rng = self.headers.get("Range")
            if rng and args.mode != "ignore-range" and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                if start >= len(data):
                    return self.reply(416, b"", {"Content-Range": "bytes */%d" % len(data)})
                headers = dict(headers, **{"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
                return self.reply(206, data[start:], headers)
            return self.reply(200, data, headers)

        def cut(self, data, headers):
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:args.cut_bytes])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    hashlib.sha256()  # fail early on a Python without hashlib
    main()
