package io.pickspin.lab.bench;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection with blocking I/O: write a prepared request, read the whole answer (Content-Length
 * or chunked). A load generator that spends a few microseconds per request, so that what it measures is the server,
 * not itself (java.net.http.HttpClient costs tens of microseconds and several thread hops per exchange).
 */
final class HttpConnection implements Closeable {
  /** Status and whether the body ended as a finished answer should (an SSE stream with its [DONE] event). */
  record Answer(int status, long bodyBytes, boolean complete) {}

  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final String host;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final byte[] line = new byte[8192];
  private final byte[] buffer = new byte[64 * 1024]; // unsynchronised read buffer: buffer[position..limit)
  private int position;
  private int limit;
  private final byte[] tail = new byte[DONE.length + 8];
  private int tailLength;

  HttpConnection(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** Sends {@code request} (complete bytes: request line, headers, body) and reads the answer. */
  Answer exchange(byte[] request, boolean sse) throws IOException {
    if (socket == null) connect();
    try {
      out.write(request);
      out.flush();
      return read(sse);
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(30_000);
    s.connect(new InetSocketAddress(host, port), 5_000);
    socket = s;
    in = s.getInputStream();
    out = s.getOutputStream();
    position = limit = 0;
  }

  private Answer read(boolean sse) throws IOException {
    int n = readLine();
    if (n < 12) throw new IOException("bad status line");
    int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    long contentLength = -1;
    boolean chunked = false;
    boolean close = false;
    while ((n = readLine()) > 0) {
      if (startsWithIgnoreCase(n, "content-length:")) {
        contentLength = Long.parseLong(value(n, "content-length:".length()));
      } else if (startsWithIgnoreCase(n, "transfer-encoding:")) {
        chunked = value(n, "transfer-encoding:".length()).equalsIgnoreCase("chunked");
      } else if (startsWithIgnoreCase(n, "connection:")) {
        close = value(n, "connection:".length()).equalsIgnoreCase("close");
      }
    }
    tailLength = 0;
    long bytes;
    if (chunked) {
      bytes = 0;
      while (true) {
        n = readLine();
        int semi = indexOf(n, (byte) ';');
        long size = Long.parseLong(new String(line, 0, semi < 0 ? n : semi, StandardCharsets.US_ASCII).trim(), 16);
        if (size == 0) {
          while (readLine() > 0) {} // trailers, then the blank line
          break;
        }
        skip(size);
        bytes += size;
        readLine();
      }
    } else if (contentLength >= 0) {
      skip(contentLength);
      bytes = contentLength;
    } else {
      bytes = 0; // read to close
      while (fill()) {
        keepTail(buffer, position, limit - position);
        bytes += limit - position;
        position = limit;
      }
      close = true;
    }
    if (close) close();
    boolean complete = status == 200 && (!sse || endsWithDone());
    return new Answer(status, bytes, complete);
  }

  private void skip(long count) throws IOException {
    long left = count;
    while (left > 0) {
      if (position == limit && !fill()) throw new EOFException("connection closed in a body");
      int r = (int) Math.min(limit - position, left);
      keepTail(buffer, position, r);
      position += r;
      left -= r;
    }
  }

  /** Reads more bytes into an empty buffer; false at end of stream. */
  private boolean fill() throws IOException {
    int r = in.read(buffer, 0, buffer.length);
    if (r < 0) return false;
    position = 0;
    limit = r;
    return true;
  }

  private void keepTail(byte[] b, int from, int len) {
    if (len >= tail.length) {
      System.arraycopy(b, from + len - tail.length, tail, 0, tail.length);
      tailLength = tail.length;
    } else {
      int keep = Math.min(tailLength, tail.length - len);
      System.arraycopy(tail, tailLength - keep, tail, 0, keep);
      System.arraycopy(b, from, tail, keep, len);
      tailLength = keep + len;
    }
  }

  /** An SSE stream ends with "data: [DONE]" and a blank line. */
  private boolean endsWithDone() {
    outer:
    for (int i = tailLength - DONE.length; i >= 0; i--) {
      for (int j = 0; j < DONE.length; j++) if (tail[i + j] != DONE[j]) continue outer;
      return true;
    }
    return false;
  }

  /** Reads a line into {@link #line} without its CRLF; returns its length. */
  private int readLine() throws IOException {
    int n = 0;
    while (true) {
      if (position == limit && !fill()) throw new EOFException("connection closed");
      byte b = buffer[position++];
      if (b == '\n') break;
      if (n < line.length) line[n++] = b;
    }
    if (n > 0 && line[n - 1] == '\r') n--;
    return n;
  }

  private boolean startsWithIgnoreCase(int n, String prefix) {
    if (n < prefix.length()) return false;
    for (int i = 0; i < prefix.length(); i++) {
      if (Character.toLowerCase(line[i]) != prefix.charAt(i)) return false;
    }
    return true;
  }

  private String value(int n, int from) {
    return new String(line, from, n - from, StandardCharsets.US_ASCII).trim();
  }

  private int indexOf(int n, byte b) {
    for (int i = 0; i < n; i++) if (line[i] == b) return i;
    return -1;
  }

  @Override
  public void close() {
    if (socket == null) return;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a connection we no longer use
    }
    socket = null;
  }

  /** A complete POST with a JSON body; {@code extraHeaders} are full "name: value" lines. */
  static byte[] post(String host, int port, String path, String json, String... extraHeaders) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(256)
        .append("POST ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: ").append(host).append(':').append(port).append("\r\n")
        .append("Content-Type: application/json\r\n")
        .append("Content-Length: ").append(body.length).append("\r\n");
    for (String h : extraHeaders) head.append(h).append("\r\n");
    byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }
}
