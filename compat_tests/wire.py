"""Hand-made XML-RPC requests and normalised outcomes, to compare servers on the wire.

``call(server, method, *params)`` goes through xmlrpc.client (like the course client) and
returns an Outcome; ``raw_call(port, xml)`` sends exact bytes over http.client and parses
the reply without xmlrpc.client's help, so tests can see wire types (``int`` vs ``base64``)
and send base64 without line breaks.
"""

import base64
import gzip
import http.client
import socket
import xml.etree.ElementTree as ET
import xmlrpc.client
from dataclasses import dataclass
from typing import Any, Optional

# Both spellings of a 32-bit integer are the same XML-RPC type.
_TYPE_ALIASES = {"i4": "int"}


@dataclass(frozen=True)
class Outcome:
    """What one call produced: a value (with its XML-RPC type tag) or a fault."""

    fault_code: Optional[int] = None
    fault_string: Optional[str] = None
    value: Any = None
    wire_type: Optional[str] = None  # "int", "base64", "struct"... for raw calls only

    @property
    def is_fault(self):
        return self.fault_code is not None

    def fault(self):
        """(code, string) of a fault; raises AssertionError on a value."""
        assert self.is_fault, "expected a fault, got value %r" % (self.value,)
        return self.fault_code, self.fault_string


def call(server, method, *params, use_builtin_types=True):
    """Call ``method`` through a fresh ServerProxy of ``server``; return an Outcome."""
    proxy = server.proxy(use_builtin_types=use_builtin_types)
    try:
        return Outcome(value=getattr(proxy, method)(*params))
    except xmlrpc.client.Fault as fault:
        return Outcome(fault_code=fault.faultCode, fault_string=fault.faultString)
    finally:
        proxy("close")()


# ----- raw HTTP ----------------------------------------------------------------------------

@dataclass(frozen=True)
class HttpReply:
    """A raw HTTP reply: status code, headers (lower-case names) and body (un-gzipped)."""

    status: int
    headers: dict
    body: bytes


def http_request(port, body=b"", path="/RPC2", method="POST", headers=None,
                 host="127.0.0.1", timeout=5.0, connection=None):
    """Send one HTTP request and return its HttpReply.

    ``connection`` (an http.client.HTTPConnection) is reused when given, else a new one is
    opened and closed. A gzip-encoded reply body is inflated.
    """
    own = connection is None
    conn = connection or http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        all_headers = {"Content-Type": "text/xml"}
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        reply_headers = {k.lower(): v for k, v in response.getheaders()}
        if reply_headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return HttpReply(response.status, reply_headers, data)
    finally:
        if own:
            conn.close()


def request_xml(method, *param_xml):
    """A methodCall document whose params are the given ``<value>`` inner XML strings."""
    params = "".join("<param><value>%s</value></param>\n" % p for p in param_xml)
    return ("<?xml version='1.0'?>\n<methodCall>\n<methodName>%s</methodName>\n"
            "<params>\n%s</params>\n</methodCall>\n" % (method, params)).encode()


def int_xml(n):
    """``<int>n</int>``"""
    return "<int>%d</int>" % n


def base64_xml(data, line_length=None, newline="\n"):
    """``<base64>`` of ``data``: one line when ``line_length`` is None, else wrapped lines.

    ``line_length=76`` with ``newline="\\n"`` reproduces Python's MIME layout (xmlrpc.client
    also puts a newline right after the opening tag).
    """
    text = base64.b64encode(bytes(data)).decode()
    if line_length is None:
        return "<base64>%s</base64>" % text
    lines = [text[i:i + line_length] for i in range(0, len(text), line_length)]
    return "<base64>%s%s%s</base64>" % (newline, newline.join(lines), newline)


def parse_response(body):
    """Parse a methodResponse without xmlrpc.client; return an Outcome with ``wire_type``."""
    root = ET.fromstring(body)
    fault = root.find("fault")
    if fault is not None:
        members = {m.findtext("name"): _decode_value(m.find("value"))
                   for m in fault.find("value").find("struct").findall("member")}
        return Outcome(fault_code=members["faultCode"][0], fault_string=members["faultString"][0])
    value, wire_type = _decode_value(root.find("params/param/value"))
    return Outcome(value=value, wire_type=wire_type)


def _decode_value(value_element):
    """(python value, type tag) of one ``<value>`` element (untagged text is a string)."""
    children = list(value_element)
    if not children:
        return value_element.text or "", "string"
    typed = children[0]
    tag = _TYPE_ALIASES.get(typed.tag, typed.tag)
    text = typed.text or ""
    if tag == "int":
        return int(text.strip()), tag
    if tag == "base64":
        return base64.b64decode("".join(text.split())), tag
    if tag == "struct":
        return {m.findtext("name"): _decode_value(m.find("value"))[0]
                for m in typed.findall("member")}, tag
    return text, tag


def raw_call(port, xml_body, connection=None, timeout=5.0):
    """POST ``xml_body`` to /RPC2; return the parsed Outcome (asserts HTTP 200)."""
    reply = http_request(port, xml_body, connection=connection, timeout=timeout)
    assert reply.status == 200, "HTTP %d: %r" % (reply.status, reply.body[:200])
    return parse_response(reply.body)


def raw_socket_exchange(port, request_bytes, timeout=5.0, host="127.0.0.1"):
    """Send ``request_bytes`` on a new TCP connection and read until the server closes it."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request_bytes)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
