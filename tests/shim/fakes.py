"""Stand-ins for the shim's tests: a stdlib HTTP(S) service on a loopback port, and the shim run
exactly as Ganeti's node daemon runs an iallocator (cwd /, an environment of one variable)."""

from __future__ import annotations

import gzip
import http.server
import importlib.machinery
import importlib.util
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "shim" / "iallocd"
TOKEN = "c1-token-0123456789"
ANSWER = b'{"success": true, "info": "Request successful", "result": ["node1.example.org"]}'


def load_shim() -> ModuleType:
    """The shim as a module (its file name has no .py, as Ganeti requires)."""
    loader = importlib.machinery.SourceFileLoader("iallocd_shim", str(SHIM))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@dataclass
class Received:
    """One request as the fake service saw it (body already decompressed)."""

    path: str
    params: list[str]
    headers: dict[str, str]
    body: bytes


Responder = Callable[[Received], tuple[int, bytes]]


@dataclass
class FakeService:
    url: str
    received: list[Received] = field(default_factory=list)


def answer_with(status: int, body: bytes) -> Responder:
    return lambda request: (status, body)


def error_body(code: str, detail: object) -> bytes:
    return json.dumps({"error": code, "detail": detail}).encode()


@contextmanager
def fake_service(respond: Responder, tls: tuple[Path, Path] | None = None) -> Iterator[FakeService]:
    """Serve POSTs on 127.0.0.1 (https when `tls` = (cert, key) is given) until the block ends."""
    service = FakeService(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            gzipped = self.headers.get("Content-Encoding") == "gzip"
            split = urlsplit(self.path)
            request = Received(
                path=split.path,
                params=parse_qs(split.query).get("param", []),
                headers=dict(self.headers.items()),
                body=gzip.decompress(raw) if gzipped else raw,
            )
            service.received.append(request)
            status, body = respond(request)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    service.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def silent_service() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def closed_url() -> str:
    """A loopback URL where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def write_config(directory: Path, urls: list[str], token: str = TOKEN, **settings: str) -> Path:
    """An iallocd.conf in `directory` with the token in a 0600 file beside it."""
    token_file = directory / "iallocd.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    lines = ["[iallocd]", "urls = " + "\n    ".join(urls), f"token_file = {token_file}"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    config = directory / "iallocd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def write_document(directory: Path, cluster_name: str = "c1", **extra: object) -> Path:
    path = directory / "input.json"
    path.write_text(json.dumps({"cluster_name": cluster_name, "request": {"type": "allocate"}, **extra}))
    return path


def run_shim(
    config: Path, document: Path, *params: str, shim: Path = SHIM, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run the shim as Ganeti does: `iallocd INPUT_FILE --params`, cwd /, only IALLOCD_CONFIG set."""
    return subprocess.run(
        [str(shim), str(document), *params],
        cwd="/",
        env={"IALLOCD_CONFIG": str(config)},
        capture_output=True,
        timeout=timeout,
        check=False,
    )
