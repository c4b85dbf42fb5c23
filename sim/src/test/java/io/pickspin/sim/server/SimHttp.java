package io.pickspin.sim.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A small blocking client for the sim's HTTP API, measuring time the way a gateway would see it. */
final class SimHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  SimHttp(URI base) {
    this.base = base;
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
  }

  HttpRequest postJson(String path, String body, String... headers) {
    HttpRequest.Builder builder = request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) builder.headers(headers);
    return builder.build();
  }

  HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
    return client.send(postJson(path, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<InputStream> open(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
  }

  static JsonNode json(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + body, e);
    }
  }

  /** One server-sent event: its data and when it arrived, in ms after the request was sent. */
  record Event(String data, double atMs) {
    JsonNode json() {
      return SimHttp.json(data);
    }
  }

  /** The events of a stream, and the failure that cut it short if any. */
  record Stream(int status, String contentType, List<Event> events, IOException failure) {
    double firstMs() {
      return events.get(0).atMs();
    }

    double lastMs() {
      return events.get(events.size() - 1).atMs();
    }

    /** The chunks with a token: chat deltas with content, or completion chunks with non-empty text. */
    List<JsonNode> tokenChunks() {
      List<JsonNode> tokens = new ArrayList<>();
      for (Event e : events) {
        if (e.data().equals("[DONE]")) continue;
        JsonNode chunk = e.json();
        if (chunk.path("choices").isEmpty()) continue;
        JsonNode choice = chunk.path("choices").get(0);
        String text = choice.has("delta")
            ? choice.path("delta").path("content").asText("")
            : choice.path("text").asText("");
        if (!text.isEmpty()) tokens.add(chunk);
      }
      return tokens;
    }
  }

  /** Sends a streaming request and reads every event until the end or a connection failure. */
  Stream stream(HttpRequest request) throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpResponse<InputStream> response = open(request);
    List<Event> events = new ArrayList<>();
    IOException failure = null;
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("data: ")) events.add(new Event(line.substring(6), (System.nanoTime() - start) / 1e6));
        else if (!line.isEmpty()) throw new AssertionError("not an SSE data line: " + line);
      }
    } catch (IOException e) {
      failure = e;
    }
    return new Stream(response.statusCode(), response.headers().firstValue("content-type").orElse(""), events,
        failure);
  }
}
