"""Wire protocol of our C++ server, compared with the Python reference where they must agree.

Covers: the three methods with ServerProxy (builtin types on and off) at block sizes 128,
512 and 4096; wire types; base64 with and without MIME line breaks; fault codes and strings
for out-of-range numbers and unknown methods (identical to the reference); the deliberate
deviations (negative numbers, Put length); HTTP paths and verbs; malformed and oversized
requests. Tests named ``*_both`` run on both servers; the others on the C++ server only.
"""

import http.client
import socket
import threading
import time
import xmlrpc.client

import pytest

import servers
from wire import (Outcome, base64_xml, call, http_request, int_xml, parse_response, raw_call,
                  raw_socket_exchange, request_xml)

NB = 64
BLOCK_SIZES = (128, 512, 4096)
INDEX_ERROR = "<class 'IndexError'>:list index out of range"
ASSIGN_ERROR = "<class 'IndexError'>:list assignment index out of range"


def pattern(bs, seed=0):
    """``bs`` bytes that differ per position and per seed (never all equal)."""
    return bytes((i * 7 + seed * 13 + 5) % 256 for i in range(bs))


@pytest.fixture(scope="module")
def ref(start_module_server):
    """A reference server (NB blocks of 128 bytes) shared by the module: never write to it."""
    return start_module_server("ref", nb=NB, bs=128)


@pytest.fixture
def cpp(start_server):
    """A fresh C++ server (NB blocks of 128 bytes) for one test."""
    return start_server("cpp", nb=NB, bs=128)


@pytest.fixture
def pair(cpp, ref):
    """(fresh C++ server, shared reference server)."""
    return cpp, ref


def assert_alive(server):
    """The server still answers a plain Get."""
    assert server.alive(), server.output()
    assert len(server.proxy().Get(1)) == server.bs


# ----- the three methods ----------------------------------------------------------------

@pytest.mark.parametrize("kind", servers.KINDS)
@pytest.mark.parametrize("bs", BLOCK_SIZES)
@pytest.mark.parametrize("builtin", [True, False], ids=["builtin_types", "Binary"])
def test_get_put_rsm_both(start_server, kind, bs, builtin):
    server = start_server(kind, nb=NB, bs=bs)
    proxy = server.proxy(use_builtin_types=builtin)
    wrap = (lambda b: b) if builtin else xmlrpc.client.Binary
    unwrap = (lambda v: v) if builtin else (lambda v: v.data)
    expected_type = bytes if builtin else xmlrpc.client.Binary

    first = proxy.Get(5)
    assert isinstance(first, expected_type)
    assert unwrap(first) == bytes(bs)
    assert proxy.Put(5, wrap(pattern(bs))) == 0
    assert unwrap(proxy.Get(5)) == pattern(bs)
    assert unwrap(proxy.RSM(5)) == pattern(bs)
    assert unwrap(proxy.Get(5)) == b"\x01" * bs
    assert unwrap(proxy.RSM(5)) == b"\x01" * bs
    assert unwrap(proxy.Get(NB - 1)) == bytes(bs)


@pytest.mark.parametrize("bs", BLOCK_SIZES)
def test_wire_types_equal_reference(start_server, bs):
    """Get/RSM answer <base64>, Put answers the integer 0 (<int> or <i4>), like Python."""
    data = pattern(bs, 1)
    requests = [request_xml("Put", int_xml(2), base64_xml(data, 76)),
                request_xml("Get", int_xml(2)),
                request_xml("RSM", int_xml(2)),
                request_xml("Get", int_xml(2))]
    results = {}
    for kind in servers.KINDS:
        server = start_server(kind, nb=NB, bs=bs)
        results[kind] = [raw_call(server.port, body) for body in requests]
    assert results["cpp"] == results["ref"]
    assert [r.wire_type for r in results["cpp"]] == ["int", "base64", "base64", "base64"]
    assert [r.value for r in results["cpp"]] == [0, data, data, b"\x01" * bs]


# ----- base64 layouts ---------------------------------------------------------------------

BASE64_LAYOUTS = {
    "one_line": dict(line_length=None),
    "mime_lf": dict(line_length=76, newline="\n"),
    "mime_crlf": dict(line_length=76, newline="\r\n"),
    "short_lines": dict(line_length=4, newline="\n"),
}


@pytest.mark.parametrize("kind", servers.KINDS)
@pytest.mark.parametrize("bs", BLOCK_SIZES)
@pytest.mark.parametrize("layout", sorted(BASE64_LAYOUTS))
def test_put_accepts_base64_layout_both(start_server, kind, bs, layout):
    """A hand-written Put (4096 bytes = one 5464-character line) is stored exactly."""
    server = start_server(kind, nb=NB, bs=bs)
    data = pattern(bs, 2)
    body = request_xml("Put", int_xml(7), base64_xml(data, **BASE64_LAYOUTS[layout]))
    assert raw_call(server.port, body) == Outcome(value=0, wire_type="int")
    assert server.proxy().Get(7) == data


def test_get_reply_is_plain_base64_cpp(cpp):
    """Our Get reply carries only base64 characters and whitespace (Python decodes both)."""
    reply = http_request(cpp.port, request_xml("Get", int_xml(1)))
    assert reply.status == 200
    assert reply.headers.get("content-type", "").startswith("text/xml")
    outcome = parse_response(reply.body)
    assert (outcome.wire_type, outcome.value) == ("base64", bytes(128))


# ----- faults identical to the reference ---------------------------------------------------

SAME_FAULT_CASES = [
    ("Get", (NB,)),
    ("Get", (NB + 1000,)),
    ("Get", (2**31 - 1,)),
    ("RSM", (NB,)),
    ("RSM", (2**31 - 1,)),
    ("Put", (NB, bytes(128))),
    ("Put", (2**31 - 1, b"abc")),
    ("Nope", (1,)),
    ("get", (1,)),
    ("GET", ()),
    ("Corrupt", (1,)),   # only with -test_corruption
]


@pytest.mark.parametrize("method, params", SAME_FAULT_CASES)
def test_fault_equals_reference(pair, method, params):
    cpp, ref = pair
    expected = call(ref, method, *params)
    assert expected.is_fault
    assert call(cpp, method, *params) == expected


@pytest.mark.parametrize("method_name", ["", "Get.x", "Put ", "x" * 300, "Gét"])
def test_odd_method_names_equal_reference(pair, method_name):
    """Raw XML (ServerProxy cannot send an empty name: it would write a methodResponse)."""
    cpp, ref = pair
    body = request_xml(method_name, int_xml(1))
    assert raw_call(cpp.port, body) == raw_call(ref.port, body)


@pytest.mark.parametrize("method", ["system.listMethods", "system.methodHelp",
                                    "system.methodSignature", "system.multicall"])
def test_introspection_is_unknown_like_reference(pair, method):
    """The reference has no introspection: xmlrpc-c's built-in system.* must be unknown too."""
    cpp, ref = pair
    params = {"system.methodHelp": ("Get",), "system.methodSignature": ("Get",),
              "system.multicall": ([{"methodName": "Get", "params": [1]}],)}.get(method, ())
    assert call(cpp, method, *params) == call(ref, method, *params)


SYSTEM_CALL_SPELLINGS = {
    # Legal XML spellings of a method name that a text search for "<methodName>system." misses.
    "space_in_end_tag": "<methodName>{}</methodName >",
    "cdata": "<methodName><![CDATA[{}]]></methodName>",
    "char_reference": "<methodName>&#115;{}</methodName>",   # &#115; is "s"
}


@pytest.mark.parametrize("spelling", sorted(SYSTEM_CALL_SPELLINGS))
@pytest.mark.parametrize("method", ["system.listMethods", "system.getCapabilities",
                                    "system.multicall", "system.shutdown"])
def test_system_methods_unknown_however_spelled(pair, method, spelling):
    """xmlrpc-c's built-in system.* methods stay unreachable whatever the XML spelling."""
    cpp, ref = pair
    template = SYSTEM_CALL_SPELLINGS[spelling]
    name = method[1:] if spelling == "char_reference" else method
    params = {"system.multicall": "<param><value><array><data></data></array></value></param>",
              "system.shutdown": "<param><value><string></string></value></param>"}.get(method, "")
    body = ("<?xml version='1.0'?>\n<methodCall>%s<params>%s</params></methodCall>\n"
            % (template.format(name), params)).encode()
    expected = raw_call(ref.port, body)
    assert expected.fault_string == '<class \'Exception\'>:method "%s" is not supported' % method
    assert raw_call(cpp.port, body) == expected
    assert_alive(cpp)


def test_system_shutdown_does_not_stop_server(cpp, ref):
    """Any client could stop an xmlrpc-c server via system.shutdown; ours must refuse it."""
    assert call(cpp, "system.shutdown", "") == call(ref, "system.shutdown", "")
    time.sleep(0.2)
    assert_alive(cpp)


# ----- deliberate deviations ------------------------------------------------------------------

@pytest.mark.parametrize("number", [-1, -2, -NB, -NB - 1, -(2**31)])
@pytest.mark.parametrize("method", ["Get", "RSM", "Put"])
def test_negative_block_refused_like_out_of_range(pair, method, number):
    cpp, ref = pair
    params = (number, bytes(128)) if method == "Put" else (number,)
    ref_params = (NB, bytes(128)) if method == "Put" else (NB,)
    assert call(cpp, method, *params) == call(ref, method, *ref_params)
    assert cpp.proxy().Get(NB - 1) == bytes(128)  # nothing was written from the end


def test_put_longer_than_block_refused(cpp):
    cpp.proxy().Put(3, pattern(128))
    outcome = call(cpp, "Put", 3, b"z" * 129)
    assert outcome.fault_code == 1
    assert "data longer than block size" in outcome.fault_string
    assert cpp.proxy().Get(3) == pattern(128)  # unchanged


@pytest.mark.parametrize("length", [0, 1, 127])
def test_put_shorter_is_zero_padded(cpp, length):
    proxy = cpp.proxy()
    proxy.Put(4, b"\xee" * 128)
    assert proxy.Put(4, b"\x05" * length) == 0
    assert proxy.Get(4) == b"\x05" * length + bytes(128 - length)


@pytest.mark.parametrize("body", [
    request_xml("Get", "<string>1</string>"),
    request_xml("Get"),
    request_xml("Get", int_xml(1), int_xml(2)),
    request_xml("Put", int_xml(1)),
    request_xml("Put", int_xml(1), "<string>abc</string>"),
    request_xml("Get", "<int>2147483648</int>"),
    request_xml("Get", "<double>1.0</double>"),
], ids=["string_number", "no_params", "extra_param", "put_no_data", "put_string_data",
        "int_overflow", "double_number"])
def test_bad_params_answer_fault(cpp, body):
    """Wrong types or counts: a fault (any code), and the server keeps working."""
    assert raw_call(cpp.port, body).is_fault
    assert_alive(cpp)


# ----- HTTP level ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, method, status", [
    ("/", "POST", 404), ("/RPC3", "POST", 404), ("/rpc2", "POST", 404), ("/RPC2/x", "POST", 404),
    ("/RPC2", "GET", 501), ("/RPC2", "PUT", 501), ("/RPC2", "DELETE", 501),
])
def test_http_status_equals_reference(pair, path, method, status):
    cpp, ref = pair
    body = request_xml("Get", int_xml(1))
    assert http_request(ref.port, body, path=path, method=method).status == status
    assert http_request(cpp.port, body, path=path, method=method).status == status
    assert_alive(cpp)


@pytest.mark.parametrize("body", [
    b"this is not xml",
    b"<?xml version='1.0'?><methodCall><methodName>Get</methodName><params>",
    b"<?xml version='1.0'?><methodResponse><params/></methodResponse>",
    b"<?xml version='1.0'?><methodCall><params/></methodCall>",
    b"",
    b"\x00\xff\xfe" * 100,
], ids=["text", "truncated", "wrong_root", "no_method_name", "empty", "binary"])
def test_malformed_xml_fault_or_400(cpp, body):
    reply = http_request(cpp.port, body)
    if reply.status == 200:
        assert parse_response(reply.body).is_fault
    else:
        assert reply.status == 400, reply
    assert_alive(cpp)


def _send_oversized(port, size):
    """POST ``size`` bytes of junk XML while reading the reply.

    Returns ("http", status, rest_of_reply), ("closed", error) when the server dropped the
    connection without a reply, or ("timeout",) when it neither answered nor closed.
    """
    head = ("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
            "Content-Length: %d\r\n\r\n" % size).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sent_error = []

    def sender():
        prefix = b"<?xml version='1.0'?><methodCall><methodName>Put</methodName>"
        chunk = b"a" * (1 << 20)
        try:
            sock.sendall(head + prefix)
            remaining = size - len(prefix)
            while remaining > 0:
                sock.sendall(chunk[:remaining])
                remaining -= len(chunk)
        except OSError as error:
            sent_error.append(error)

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        return ("timeout",)
    except OSError as error:
        return ("closed", error)
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        thread.join(10)
        sock.close()
    if not data:
        return ("closed", sent_error)
    status_line, _, rest = data.partition(b"\r\n")
    return ("http", int(status_line.split()[1]), rest)


def test_oversized_request_refused(cpp):
    """A 64 MiB body is refused (413, 4xx, a fault or a closed connection), server survives."""
    started = time.monotonic()
    result = _send_oversized(cpp.port, 64 << 20)
    elapsed = time.monotonic() - started
    assert result[0] != "timeout", "no reply and no close within 10 s"
    if result[0] == "http":
        status, rest = result[1], result[2]
        assert status == 413 or 400 <= status < 500 or b"<fault>" in rest, result
    assert elapsed < 10
    assert_alive(cpp)


# ----- connections ------------------------------------------------------------------------

def test_http10_request_is_answered_and_closed(cpp):
    """A raw HTTP/1.0 request (no keep-alive) gets a full reply and a closed connection."""
    body = request_xml("Get", int_xml(2))
    request = (b"POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n"
               % len(body)) + body
    reply = raw_socket_exchange(cpp.port, request)
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split()[1] == b"200"
    assert parse_response(payload).value == bytes(128)


def test_http10_keep_alive_is_confirmed_or_closed(cpp):
    """HTTP/1.0 + "Connection: keep-alive": the reply says keep-alive, or the server closes.

    (An HTTP/1.0 client that gets no "Connection: keep-alive" back reads until EOF.)
    """
    body = request_xml("Get", int_xml(2))
    request = (b"POST /RPC2 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: text/xml\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
    with socket.create_connection(("127.0.0.1", cpp.port), timeout=5) as sock:
        sock.sendall(request)
        sock.settimeout(1.0)
        reply = b""
        closed = False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                reply += chunk
        except TimeoutError:
            pass
    head = reply.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.")
    assert closed or b"connection: keep-alive" in head, head


def test_many_calls_on_one_keep_alive_connection(cpp):
    """http.client reuses (or transparently reopens) the connection for 50 calls."""
    conn = http.client.HTTPConnection("127.0.0.1", cpp.port, timeout=5)
    try:
        for i in range(50):
            assert raw_call(cpp.port, request_xml("Get", int_xml(i % NB)),
                            connection=conn).value == bytes(128)
    finally:
        conn.close()


def test_gzip_accepted_reply_decodes(start_server):
    """Python always sends Accept-Encoding: gzip; a 4 KiB Get must still decode."""
    cpp = start_server("cpp", nb=NB, bs=4096)
    reply = http_request(cpp.port, request_xml("Get", int_xml(1)),
                         headers={"Accept-Encoding": "gzip"})
    assert reply.status == 200
    assert parse_response(reply.body).value == bytes(4096)
