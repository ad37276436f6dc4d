"""A WebSocket connection's socket with its reads and writes taken one at a time.

simple-websocket reads the connection in a thread of its own (and answers pings from there),
while the stream's thread sends. On a plain socket that is fine, but an ``ssl.SSLSocket`` is
one TLS session, which two threads must not use at once: a read and a write that overlap
corrupt it (the client then fails on a record it cannot decrypt, or loses the connection).
That happens when a client pings, or sends a request, just as a message goes out, which is
more likely the busier the server.

``SerializedSocket`` holds a lock during each read and each write, and makes them
non-blocking meanwhile: waiting for data to arrive, or for room to send, happens outside the
lock, so a reader waiting for the client never holds up a sender, and the other way round.
"""

from __future__ import annotations

import errno
import selectors
import ssl
import threading
from typing import Any

# The WSGI environ keys under which the servers we run on hand over the connection's socket
# (werkzeug for `flexmeasures run`, gunicorn).
SOCKET_KEYS = ("werkzeug.socket", "gunicorn.socket")
# The longest wait between two attempts to read or write (a closed socket is noticed then).
WAIT_SECONDS = 1.0


class SerializedSocket:
    """A socket (plain or TLS) whose ``recv`` and ``send`` may be called from two threads:
    one read or write at a time, waits outside the lock."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()  # as the server set it, outside our reads and writes
        self._lock = threading.Lock()

    def fileno(self) -> int:
        """The socket's file descriptor (for selectors); -1 once closed."""
        return self._sock.fileno()

    def recv(self, size: int) -> bytes:
        """Wait until data arrives and return it: up to ``size`` bytes, and all that the TLS
        session has decrypted already (which no selector can see); b"" once the peer has
        closed the connection."""
        while True:
            with self._lock:
                data, wait_for = self._attempt(self._read, size, selectors.EVENT_READ)
            if not wait_for:
                return data
            self._wait(wait_for)

    def send(self, data: bytes) -> int:
        """Send all of ``data`` (waiting for room while the peer is slow to read); its length
        in bytes."""
        view = memoryview(data)
        while view:
            with self._lock:
                sent, wait_for = self._attempt(self._sock.send, view, selectors.EVENT_WRITE)
            if wait_for:
                self._wait(wait_for)
            else:
                view = view[sent:]
        return len(data)

    def close(self) -> None:
        """Close the socket."""
        with self._lock:
            self._sock.close()

    def _read(self, size: int) -> bytes:
        """Read what is there, with what the TLS session holds decrypted already."""
        data = self._sock.recv(size)
        pending = getattr(self._sock, "pending", lambda: 0)
        while data and pending():
            data += self._sock.recv(pending())
        return data

    def _attempt(self, operation: Any, argument: Any, event: int) -> tuple[Any, int]:
        """Run a read or write without blocking: its result, and 0, or None and the event
        to wait for (a TLS session may need to read to send, or the other way round)."""
        if self._sock.fileno() < 0:
            raise OSError(errno.EBADF, "The connection is closed.")
        self._sock.setblocking(False)
        try:
            return operation(argument), 0
        except ssl.SSLWantReadError:
            return None, selectors.EVENT_READ
        except ssl.SSLWantWriteError:
            return None, selectors.EVENT_WRITE
        except BlockingIOError:
            return None, event
        finally:
            self._sock.settimeout(self._timeout)

    def _wait(self, event: int) -> None:
        """Wait until the socket is readable or writable, at most WAIT_SECONDS (then the
        caller tries again, and finds out if another thread closed it meanwhile)."""
        with selectors.DefaultSelector() as selector:
            try:
                selector.register(self._sock, event)
            except ValueError:  # closed meanwhile: the next attempt says so
                return
            selector.select(WAIT_SECONDS)
