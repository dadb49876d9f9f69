#!/usr/bin/env python3
"""A latency-injecting TCP proxy: a stand-in for netem on a machine without it.

Listens on a port and forwards every connection to host:port, holding each direction's bytes
back by a one-way delay (so a request/reply round trip costs 2 x delay more), in order: a
reader thread per direction timestamps what it reads, a writer thread sends it once its time
has come. Standard library only. What it does not model: bandwidth, loss, and the delay of
TCP's own handshake (the proxy accepts at once; the upstream connect is local). Each hop
through the proxy costs some tens of µs beyond the delay (thread wake-ups; the timer slack is
set to 1 µs on Linux to keep it small).

Round counting (for tools/bench_latency.py): proxies given one shared RoundCounter count a
*round* each time a request starts while no request is in flight at any of them. A request
starts when client bytes arrive on a connection that was not already sending a request, and
ends when the first reply bytes have been delivered back to the client (after the delay), so
the calls a client sends in parallel to several servers count as one round and calls that
each wait for the previous reply count one each: the dependent rounds of a workload.

Command line::

    tools/latency_proxy.py --listen 9000 --to 127.0.0.1:8000 --delay-ms 0.25

Import::

    from latency_proxy import LatencyProxy, RoundCounter
    rounds = RoundCounter()
    with LatencyProxy(("127.0.0.1", 8000), delay_ms=0.25, counter=rounds) as proxy:
        ...  # connect to proxy.port
    print(rounds.rounds, rounds.requests)
"""

import argparse
import collections
import ctypes
import socket
import sys
import threading
import time


def _fine_timer_slack():
    """Linux wakes a sleeping thread up to 50 µs late by default (its timer slack); ask for
    1 µs in the calling thread, which threads it starts inherit. Best effort."""
    try:
        ctypes.CDLL(None).prctl(29, 1000, 0, 0, 0)  # PR_SET_TIMERSLACK, ns
    except (OSError, AttributeError):
        pass


class RoundCounter:
    """Shared by the proxies of one run: requests in flight, rounds, requests."""

    def __init__(self):
        self._lock = threading.Lock()
        self.in_flight = 0
        self.rounds = 0
        self.requests = 0

    def start(self):
        with self._lock:
            if self.in_flight == 0:
                self.rounds += 1
            self.in_flight += 1
            self.requests += 1

    def end(self):
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)

    def reset(self):
        with self._lock:
            self.in_flight = self.rounds = self.requests = 0

    def snapshot(self):
        with self._lock:
            return self.rounds, self.requests


class _Pipe:
    """One direction of one connection: a reader and a delaying writer."""

    def __init__(self, source, sink, delay, on_data=None, on_send=None, on_close=None):
        self.source, self.sink, self.delay = source, sink, delay
        self.on_data, self.on_send, self.on_close = on_data, on_send, on_close
        self.queue = collections.deque()
        self.ready = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.writer = threading.Thread(target=self._write, daemon=True)

    def start(self):
        self.reader.start()
        self.writer.start()

    def _read(self):
        try:
            while True:
                data = self.source.recv(262144)
                if not data:
                    break
                if self.on_data:
                    self.on_data()
                with self.ready:
                    self.queue.append((time.monotonic() + self.delay, data))
                    self.ready.notify()
        except OSError:
            pass
        with self.ready:
            self.queue.append((time.monotonic() + self.delay, None))
            self.ready.notify()

    def _write(self):
        try:
            while True:
                with self.ready:
                    while not self.queue:
                        self.ready.wait()
                    due, data = self.queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if data is None:
                    break
                if self.on_send:  # before: the reply may trigger the next request at once
                    self.on_send()
                self.sink.sendall(data)
        except OSError:
            pass
        try:
            self.sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if self.on_close:
            self.on_close()


class _Connection:
    """A client connection and its upstream one; tracks whether a request is in flight."""

    def __init__(self, client, upstream, delay, counter):
        self.client, self.upstream, self.counter = client, upstream, counter
        self.lock = threading.Lock()
        self.requesting = False  # client bytes seen, no reply delivered yet
        self.closed = 0
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.up = _Pipe(client, upstream, delay, on_data=self._request_bytes,
                        on_close=self._half_closed)
        self.down = _Pipe(upstream, client, delay, on_send=self._reply_delivered,
                          on_close=self._half_closed)

    def start(self):
        self.up.start()
        self.down.start()

    def _request_bytes(self):
        with self.lock:
            if self.requesting:
                return
            self.requesting = True
        if self.counter:
            self.counter.start()

    def _reply_delivered(self):
        with self.lock:
            if not self.requesting:
                return
            self.requesting = False
        if self.counter:
            self.counter.end()

    def _half_closed(self):
        with self.lock:
            self.closed += 1
            done = self.closed == 2
        if done:
            self._reply_delivered()  # a request the server never answered
            for sock in (self.client, self.upstream):
                try:
                    sock.close()
                except OSError:
                    pass


class LatencyProxy:
    """``LatencyProxy((host, port), delay_ms).start()``; clients connect to ``.port``."""

    def __init__(self, upstream, delay_ms=0.0, counter=None, listen_host="127.0.0.1",
                 listen_port=0):
        self.upstream = tuple(upstream)
        self.delay = delay_ms / 1000.0
        self.counter = counter
        self.listener = socket.create_server((listen_host, listen_port), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _accept(self):
        _fine_timer_slack()  # the connections' threads are started here
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()  # the server is down: so is the proxy's connection
                continue
            self.connections += 1
            _Connection(client, upstream, self.delay, self.counter).start()

    def stop(self):
        self._stopped = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True, help="port to listen on")
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--to", required=True, metavar="HOST:PORT", help="where to forward")
    parser.add_argument("--delay-ms", type=float, default=0.25, help="one-way delay")
    args = parser.parse_args(argv)
    host, _, port = args.to.rpartition(":")
    counter = RoundCounter()
    proxy = LatencyProxy((host or "127.0.0.1", int(port)), args.delay_ms, counter,
                         args.listen_host, args.listen).start()
    print("latency proxy %s:%d -> %s, %.3f ms each way" % (args.listen_host, proxy.port,
                                                            args.to, args.delay_ms), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        rounds, requests = counter.snapshot()
        print("%d requests in %d rounds" % (requests, rounds), file=sys.stderr)
        proxy.stop()


if __name__ == "__main__":
    main()
