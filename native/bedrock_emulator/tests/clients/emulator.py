"""Starts the bedrock-emulator binary for the client checks and reads what it prints.

EMULATOR_BIN overrides the binary (default: target/debug/bedrock-emulator of this repo).
"""

import os
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[4]
API_KEY = "client-check-api-key"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class Emulator:
    def __init__(self, *extra):
        binary = os.environ.get("EMULATOR_BIN", str(ROOT / "target/debug/bedrock-emulator"))
        self.ca_file = tempfile.NamedTemporaryFile(suffix=".pem", delete=False).name
        self.proc = subprocess.Popen(
            [binary, "--api-key", API_KEY, "--tls", "--ca-out", self.ca_file, *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.tls_url = None
        while self.url is None or self.tls_url is None or not hasattr(self, "temporary"):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("emulator exited")
            if line.startswith("listening on "):
                self.url = line.split()[-1]
            elif line.startswith("tls listening on "):
                # The certificate names localhost; 127.0.0.1 is in it too.
                self.tls_url = line.split()[-1]
            elif line.startswith("temporary credentials: "):
                key, secret, token = line.split()[2:5]
                self.temporary = {"key": key, "secret": secret, "token": token}

    def admin(self, path, body=""):
        import urllib.request

        req = urllib.request.Request(self.url + "/_emulator/" + path, data=body.encode() or None,
                                     method="POST" if body or path != "counters" else "GET")
        with urllib.request.urlopen(req) as resp:
            import json

            return json.loads(resp.read() or b"{}")

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)
        os.unlink(self.ca_file)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok -", what)


def png_image(width, height):
    """A real PNG (8-bit grayscale, all black) of the given size."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
