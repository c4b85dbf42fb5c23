package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** Which responses end a request for the head timeout: a final one does, a 100 Continue does not (the body follows). */
class RequestHeadTimeoutTest {
  @Test
  void onlyA1xxStatusLineIsInterim() {
    assertTrue(RequestHeadTimeout.interim(ByteString.fromString("HTTP/1.1 100 Continue\r\n\r\n")));
    assertTrue(RequestHeadTimeout.interim(ByteString.fromString("HTTP/1.0 102 Processing\r\n\r\n")));
    assertFalse(RequestHeadTimeout.interim(ByteString.fromString("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1")));
    assertFalse(RequestHeadTimeout.interim(ByteString.fromString("HTTP/1.1 400 Bad Request\r\n\r\n")));
    assertFalse(RequestHeadTimeout.interim(ByteString.fromString("data: 1xx")));
    assertFalse(RequestHeadTimeout.interim(ByteString.fromString("HTTP/1.1")));
  }
}
