#include "rpc/http_message.h"

#include <doctest/doctest.h>

namespace memoryfs::rpc {

TEST_CASE("ParseRequest: complete, incomplete, keep-alive rules") {
  HttpMessage m;
  std::string req = "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  CHECK(ParseRequest(req.substr(0, 20), 1000, &m).state == ParseState::kIncomplete);
  CHECK(ParseRequest(req.substr(0, req.size() - 1), 1000, &m).state == ParseState::kIncomplete);
  ParseOutcome o = ParseRequest(req + "POST", 1000, &m);
  REQUIRE(o.state == ParseState::kComplete);
  CHECK(o.consumed == req.size());
  CHECK(m.method == "POST");
  CHECK(m.target == "/RPC2");
  CHECK(m.body == "hello");
  CHECK(m.keep_alive);
  ParseRequest("POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 1000, &m);
  CHECK_FALSE(m.keep_alive);
  ParseRequest("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 1000, &m);
  CHECK_FALSE(m.keep_alive);
}

TEST_CASE("ParseRequest: errors") {
  HttpMessage m;
  CHECK(ParseRequest("POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", 1000, &m).http_status ==
        413);
  CHECK(ParseRequest("POST / HTTP/1.1\r\n\r\n", 1000, &m).http_status == 411);
  CHECK(ParseRequest("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 1000, &m).http_status == 400);
  CHECK(ParseRequest("garbage\r\n\r\n", 1000, &m).state == ParseState::kError);
  CHECK(ParseRequest(std::string(20000, 'a'), 1000, &m).http_status == 431);
}

TEST_CASE("ParseResponse: Content-Length, HTTP/1.0 close, read-until-close") {
  HttpMessage m;
  std::string r = "HTTP/1.0 200 OK\r\nContent-length: 3\r\n\r\nabc";
  REQUIRE(ParseResponse(r, 1000, false, &m).state == ParseState::kComplete);
  CHECK(m.status == 200);
  CHECK(m.body == "abc");
  CHECK_FALSE(m.keep_alive);
  std::string no_len = "HTTP/1.0 200 OK\r\n\r\nxyz";
  CHECK(ParseResponse(no_len, 1000, false, &m).state == ParseState::kIncomplete);
  REQUIRE(ParseResponse(no_len, 1000, true, &m).state == ParseState::kComplete);
  CHECK(m.body == "xyz");
  CHECK(ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", 1000, true, &m).state ==
        ParseState::kError);
  CHECK(ParseResponse("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx",
                      1000, false, &m)
            .state == ParseState::kError);
}

TEST_CASE("Format round trip") {
  HttpMessage m;
  std::string post = FormatPost("h:1", "/RPC2", "<x/>");
  REQUIRE(ParseRequest(post, 100, &m).state == ParseState::kComplete);
  CHECK(m.body == "<x/>");
  CHECK(m.headers.count("accept-encoding") == 0);
  std::string resp = FormatResponse(404, "text/plain", "no", false);
  REQUIRE(ParseResponse(resp, 100, false, &m).state == ParseState::kComplete);
  CHECK(m.status == 404);
  CHECK_FALSE(m.keep_alive);
}

}  // namespace memoryfs::rpc
