"""When a request received by `registry serve`'s main loop is ready for a thread."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from registry.entrypoints import reception
from registry.entrypoints.reception import HEAD_LIMIT, SMALL_BODY, Incoming, PatientSocket


def arriving(*pieces: bytes) -> tuple[list[bool], Incoming]:
    incoming = Incoming()
    return [incoming.feed(piece) for piece in pieces], incoming


def test_a_head_is_ready_only_once_its_blank_line_has_arrived():
    ready, incoming = arriving(b"GET /health HTTP/1.1\r\nHo", b"st: x\r\n", b"\r\n")
    assert ready == [False, False, True]
    assert not incoming.upload


def test_a_small_body_is_received_whole_before_a_thread_takes_it():
    head = b"POST /x HTTP/1.1\r\nContent-Type: application/json\r\ncontent-length: 10\r\n\r\n"
    ready, incoming = arriving(head, b'{"a": ', b'"bc"}')
    assert ready == [False, False, True]
    assert not incoming.upload


def test_an_upload_goes_to_a_thread_as_soon_as_its_head_is_in():
    head = f"POST /x HTTP/1.1\r\nContent-Length: {SMALL_BODY + 1}\r\n\r\n".encode()
    ready, incoming = arriving(head[:10], head[10:] + b"[")
    assert ready == [False, True]
    assert incoming.upload


def test_bodies_of_unknown_length_or_unusual_framing_are_left_to_a_thread():
    for fields in (b"Transfer-Encoding: chunked", b"Expect: 100-continue\r\nContent-Length: 5",
                   b"Content-Length: 5\r\nContent-Length: 6", b"Content-Length: -5",
                   b"Content-Length: 5\r\nTransfer-Encoding: chunked",
                   b"Content-Length: " + b"9" * 5000):
        incoming = Incoming()
        assert incoming.feed(b"POST /x HTTP/1.1\r\n" + fields + b"\r\n\r\n"), fields
        assert incoming.upload, fields


def test_a_head_too_long_or_ended_by_bare_line_feeds_is_left_to_gunicorn_to_refuse():
    endless = Incoming()
    assert not endless.feed(b"GET / HTTP/1.1\r\nX-A: " + b"a" * (HEAD_LIMIT // 2))
    assert endless.feed(b"a" * HEAD_LIMIT)
    assert Incoming().feed(b"GET / HTTP/1.1\nHost: x\n\n")


def test_bytes_of_a_next_request_already_sent_do_not_hold_back_the_first():
    two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo"
    assert Incoming(two).ready()


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch):
    """A server's end of a connection (blocking, as a thread uses it), and the client's."""
    monkeypatch.setattr(reception, "IDLE_SECONDS", 0.3)
    server_end, client_end = socket.socketpair()
    server_end = PatientSocket.taking_over(server_end)
    server_end.setblocking(True)
    yield server_end, client_end
    server_end.close()
    client_end.close()


def test_a_client_that_sends_nothing_for_the_idle_time_reads_as_gone(patient):
    server_end, client_end = patient
    client_end.sendall(b"abc")
    assert server_end.recv(10) == b"abc"
    began = time.monotonic()
    assert server_end.recv(10) == b""
    assert 0.25 < time.monotonic() - began < 5


def test_a_big_answer_to_a_slow_but_steady_reader_is_sent_whole(patient):
    server_end, client_end = patient
    answer = b"x" * (8 * 1024 * 1024)
    received = bytearray()

    def read_slowly() -> None:
        while len(received) < len(answer):
            received.extend(client_end.recv(256 * 1024))
            time.sleep(0.02)  # the whole answer takes far longer than IDLE_SECONDS

    reader = threading.Thread(target=read_slowly)
    reader.start()
    server_end.sendall(answer)
    reader.join(timeout=60)
    assert len(received) == len(answer)


def test_an_answer_nobody_reads_gives_up_after_the_idle_time(patient):
    server_end, _ = patient
    with pytest.raises(TimeoutError):
        server_end.sendall(b"x" * (64 * 1024 * 1024))


def test_an_answers_head_leaves_with_its_body_in_one_send(patient):
    server_end, client_end = patient
    client_end.setblocking(False)
    server_end.hold_next = True  # as a thread taking a request sets it
    server_end.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    with pytest.raises(BlockingIOError):
        client_end.recv(1024)  # nothing sent yet
    server_end.sendall(b"{}")
    assert client_end.recv(1024) == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


def test_the_head_of_an_answer_without_a_body_leaves_once_the_request_is_done(patient):
    server_end, client_end = patient
    server_end.hold_next = True
    server_end.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
    server_end.send_held()
    assert client_end.recv(1024) == b"HTTP/1.1 204 No Content\r\n\r\n"
    server_end.sendall(b"next")  # nothing is held any more
    assert client_end.recv(1024) == b"next"
