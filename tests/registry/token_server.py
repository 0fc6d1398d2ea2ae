#!/usr/bin/env python3
"""A token service for docker-registry's `auth: token` (Docker's token
authentication spec), for tests/integration/pull_test.cpp.

GET /token?service=S&scope=repository:NAME:ACTIONS answers {"token": JWT}:
an RS256 JWT signed with --key (by the openssl command, so no Python crypto
module is needed) whose x5c header carries --cert, the certificate the
registry's rootcertbundle trusts. With Basic credentials matching --user
USER:PASSWORD the token grants the scope's actions; wrong credentials get a
401; no credentials get a token granting nothing (the registry then refuses).
Requests are logged to --log as JSON lines {path, authorization}.
"""
import argparse
import base64
import http.server
import json
import os
import subprocess
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    x5c = base64.b64encode(der).decode()

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=signing_input,
                             check=True, capture_output=True).stdout
        return signing_input.decode() + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization")
            with open(args.log, "a") as f:
                f.write(json.dumps({"path": self.path, "authorization": auth}) + "\n")
            if url.path != "/token":
                return self.reply(404, {})
            granted = False
            if auth:
                if not auth.startswith("Basic ") or base64.b64decode(auth[6:]).decode() != args.user:
                    return self.reply(401, {"details": "bad credentials"})
                granted = True
            access = []
            for scope in query.get("scope", []):
                for item in scope.split(" "):
                    kind, _, rest = item.partition(":")
                    name, _, actions = rest.rpartition(":")
                    access.append({"type": kind, "name": name,
                                   "actions": actions.split(",") if granted else []})
            now = int(time.time())
            claims = {"iss": args.issuer, "sub": args.user.split(":")[0] if granted else "",
                      "aud": query.get("service", [""])[0], "exp": now + 300, "nbf": now - 10,
                      "iat": now, "jti": os.urandom(8).hex(), "access": access}
            self.reply(200, {"token": sign(claims), "expires_in": 300})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
