"""The gunicorn worker of `registry serve`: a thread gets a request once it has arrived.

gunicorn's threaded worker (gthread) gives a connection to one of its threads
as soon as a byte can be read, and the thread then reads the request at the
client's pace. Clients that sent their headers a byte at a time held every
thread (64 of them against 4 workers x 4 threads), and `/health` timed out.

This worker reads each request's head, and a body of up to `SMALL_BODY`
bytes, in its main loop, without blocking, beside every other connection,
and gives a thread only a request that has arrived whole. A client that has
not sent it within `RECEIVE_SECONDS` is answered `408` and disconnected.

A request with a larger body (an upload), a body of unknown length (chunked),
or one waiting for `100 Continue`, goes to a thread once its head is in, from
a second pool of its own: slow uploads can keep other uploads waiting, never
`/health` or the rest of the API. A thread gives up on a client that sends
nothing for `IDLE_SECONDS` (an upload cut short reads as such: `400`), and on
one that reads nothing of its answer for as long.

A thread's answer leaves in one send: gunicorn writes a head, then a body,
and the head is held until the body follows (or the request is done), so
a client is woken once, not twice, for each answer.

Plain HTTP/1.1 only, as `registry serve` configures gunicorn (no TLS, no
HTTP/2): with either, connections are handed over as gthread does.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections import OrderedDict
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from registry.entrypoints import balance, leaving

SMALL_BODY = 16 * 1024  # a single enrollment is under 1 KiB; a batch is an upload
RECEIVE_SECONDS = 15.0  # for a head and a small body: at least 1.1 KB/s
IDLE_SECONDS = 30.0
HEAD_LIMIT = 64 * 1024  # past this a head is not read on: gunicorn refuses it
READ_SIZE = 64 * 1024
WAITING, READY, GONE = "waiting", "ready", "gone"  # a request being received
TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
             b"Content-Length: 0\r\n\r\n")


class Incoming:
    """A request's bytes as they arrive, and whether it is ready for a thread."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray(data)
        self.upload = False  # to the uploads' pool, with the rest still to read
        self._end: int | None = None  # where the request ends, once the head is in

    def feed(self, chunk: bytes) -> bool:
        self.data += chunk
        return self.ready()

    def ready(self) -> bool:
        if self._end is None:
            head_end = self.data.find(b"\r\n\r\n")
            if head_end < 0:
                # Too long, or ended by bare LFs: let gunicorn's parser refuse it.
                self.upload = len(self.data) > HEAD_LIMIT or b"\n\n" in self.data
                return self.upload
            self._end = self._framed(head_end + 4)
        return self.upload or len(self.data) >= self._end

    def _framed(self, body_start: int) -> int:
        """Where the request ends, if it is to be read here; else mark it an upload."""
        fields: dict[bytes, list[bytes]] = {}
        for line in bytes(self.data[:body_start]).split(b"\r\n")[1:]:
            name, colon, value = line.partition(b":")
            if colon:
                fields.setdefault(name.strip().lower(), []).append(value.strip())
        lengths = fields.get(b"content-length", [b"0"])
        expects = [v.lower() for v in fields.get(b"expect", [])]
        if (b"transfer-encoding" in fields or b"100-continue" in expects or len(lengths) != 1
                or not lengths[0].isdigit() or len(lengths[0]) > 9
                or int(lengths[0]) > SMALL_BODY):
            self.upload = True  # anything unusual goes to a thread, which decides
            return body_start
        return body_start + int(lengths[0])


class PatientSocket(socket.socket):
    """A client socket whose blocking mode waits at most IDLE_SECONDS for each read or write.

    A read that times out reads as the end of the stream, as if the client
    had gone: the application then sees a body cut short, not an error.
    """

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(IDLE_SECONDS)
        else:
            super().setblocking(False)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            return b""

    held = b""  # an answer's head, waiting to leave with its body
    hold_next = False

    def sendall(self, data: Any, flags: int = 0) -> None:
        if self.hold_next:
            # gunicorn writes an answer's head, then its body: two sends, two segments
            # and two wake-ups of the client. The head waits for the body instead.
            self.hold_next = False
            self.held = bytes(data)
            return
        if self.held:
            data, self.held = self.held + bytes(data), b""
        self._send_all(data, flags)

    def send_held(self) -> None:
        """What is still held, once the answer is complete (one without a body)."""
        self.hold_next = False
        if self.held:
            data, self.held = self.held, b""
            self._send_all(data, 0)

    def _send_all(self, data: Any, flags: int) -> None:
        # The standard sendall counts its timeout over the whole answer: a big
        # one to a slow but steady client would be cut off. Count it per send.
        view = memoryview(data)
        while view:
            view = view[self.send(view, flags):]

    @classmethod
    def taking_over(cls, sock: socket.socket) -> PatientSocket:
        patient = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        patient.setblocking(False)
        return patient


class ReceivingWorker(ThreadWorker):
    """gthread, with requests received in the main loop (see the module's docstring)."""

    _connections = 0
    _yielding: balance.Yielding | None = None

    @property
    def nr_conns(self) -> int:
        return self._connections

    @nr_conns.setter
    def nr_conns(self, count: int) -> None:
        # gthread counts its connections here: the count is published as it changes.
        self._connections = count
        if self._yielding is not None:
            self._yielding.publish(count)

    def accept(self, listener: Any) -> None:
        """Take the new connection, unless another worker holds fewer (entrypoints/balance.py)."""
        if self._yielding is not None and self._yielding.now(self.nr_conns):
            return
        super().accept(listener)

    def init_process(self) -> None:
        self.uploads = futures.ThreadPoolExecutor(max_workers=self.cfg.threads)
        self.receiving: OrderedDict[TConn, float] = OrderedDict()  # in order of deadline
        super().init_process()  # returns once the worker has stopped
        self._leave()

    def _leave(self) -> None:
        """Exit, every request answered, without the interpreter's teardown (leaving.py):
        the app's registry is closed first (the access records it holds back written, its
        connections ended)."""
        if self.nr_conns:  # past graceful_timeout, still answering: the usual exit
            return
        code = 0
        registry = getattr(self.wsgi, "extensions", {}).get("registry")
        try:
            if registry is not None:
                registry.close()
        except Exception:  # noqa: BLE001 - reported, and the exit says it failed
            self.log.exception("closing the registry at exit failed")
            code = 1
        leaving.leave(code)

    def enqueue_req(self, conn: TConn) -> None:
        """Every connection with a request coming: receive it here first."""
        if not self._plain_http1():
            super().enqueue_req(conn)
            return
        if not isinstance(conn.sock, PatientSocket):
            conn.sock = PatientSocket.taking_over(conn.sock)
        # Bytes of a next request read along with the last one (pipelining).
        early = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.sock.setblocking(False)
        incoming = Incoming(early)
        # Mostly the request is there already (a kept-alive connection just became
        # readable): read it now, not after another turn of the loop.
        state = READY if incoming.ready() else self._read(conn, incoming)
        if state is WAITING:
            self.receiving[conn] = time.monotonic() + RECEIVE_SECONDS
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self._on_readable, conn, incoming))
        else:
            self._settle(conn, incoming, state)

    def _plain_http1(self) -> bool:
        return (not self.cfg.is_ssl and self.cfg.http_protocols == ["h1"]
                and self.cfg.http2_cleartext == "off")

    def _on_readable(self, conn: TConn, incoming: Incoming, _sock: Any) -> None:
        state = self._read(conn, incoming)
        if state is not WAITING:
            self._stop_receiving(conn)
            self._settle(conn, incoming, state)

    @staticmethod
    def _read(conn: TConn, incoming: Incoming) -> str:
        try:
            chunk = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return WAITING
        except OSError:
            chunk = b""
        if not chunk:
            return GONE
        try:
            return READY if incoming.feed(chunk) else WAITING
        except Exception:  # noqa: BLE001 - never take the main loop down: a thread decides
            incoming.upload = True
            return READY

    def _settle(self, conn: TConn, incoming: Incoming, state: str) -> None:
        if state is GONE:
            self._drop(conn)
        else:
            self._hand_over(conn, incoming)

    def _hand_over(self, conn: TConn, incoming: Incoming) -> None:
        conn.data_ready = True  # gthread's handle() then reads at once
        pool = self.uploads if incoming.upload else self.tpool
        future = pool.submit(self._handle_received, conn, bytes(incoming.data))
        future.add_done_callback(
            lambda done: self.method_queue.defer(self.finish_request, conn, done))

    def _handle_received(self, conn: TConn, data: bytes) -> Any:
        conn.init()  # the parser, for a new connection
        conn.parser.unreader.unread(data)
        sock = conn.sock
        sock.hold_next = True
        try:
            return self.handle(conn)
        finally:
            with contextlib.suppress(OSError):  # a client gone: handle() has seen it
                sock.send_held()

    def murder_pending(self) -> None:
        """Also disconnect the clients too slow to send their request."""
        super().murder_pending()
        now = time.monotonic()
        while self.receiving:
            conn, deadline = next(iter(self.receiving.items()))
            if deadline > now:
                break
            self._stop_receiving(conn)
            with contextlib.suppress(OSError):  # it is going anyway
                conn.sock.send(TIMED_OUT)
            self._drop(conn)

    def _stop_receiving(self, conn: TConn) -> None:
        del self.receiving[conn]
        self.poller.unregister(conn.sock)

    def _drop(self, conn: TConn) -> None:
        self.nr_conns -= 1
        conn.close()

    def run(self) -> None:
        # Counted among the workers once it can take connections, its app loaded.
        self._yielding = balance.Yielding(balance.SHARED)
        try:
            super().run()
        finally:
            self.uploads.shutdown(wait=False)
            if self._yielding is not None:
                self._yielding.release()
