"""A proxy that forwards nothing, to show that a program reached no other host."""

from __future__ import annotations

import socket
import threading


class ProxyTrap:
    """An HTTP proxy on 127.0.0.1 that forwards nothing: it records the first line of every request
    sent to it and answers 502. With every proxy variable pointing here, a client that tried to
    reach any host but 127.0.0.1 (huggingface.co, pypi.org) shows up in ``requests``."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            with connection:
                connection.settimeout(5)
                try:
                    self.requests.append(connection.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
                    connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    self.requests.append("(a connection that sent nothing)")

    def close(self) -> None:
        self._listener.close()
