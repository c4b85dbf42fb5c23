package io.pickspin.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** The admin API of one node (dev mode, no token), for what the chaos scenarios set and read back. */
final class AdminClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final URI base;

  AdminClient(URI base) {
    this.base = base;
  }

  JsonNode get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build());
  }

  JsonNode put(String path, String body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IOException(req.method() + " " + req.uri() + ": " + r.statusCode() + " " + r.body());
    return JSON.readTree(r.body());
  }

  /** The supervisor's desired count per model that has had a decision (-1, never decided, is left out as in its log). */
  Map<String, Integer> desired() throws IOException, InterruptedException {
    Map<String, Integer> out = new TreeMap<>();
    for (JsonNode m : get("/admin/models").path("models")) {
      int d = m.path("scaling").path("desired").asInt(-1);
      if (d >= 0) out.put(m.path("id").asText(), d);
    }
    return out;
  }

  /** The replicas' operator modes other than normal, as "model/replica" to mode, as this node's pool board sees them. */
  Map<String, String> modes() throws IOException, InterruptedException {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode m : get("/admin/models").path("models")) {
      for (JsonNode r : m.path("pool").path("replicas")) {
        String mode = r.path("mode").asText();
        if (!mode.equals("normal")) out.put(m.path("id").asText() + "/" + r.path("id").asText(), mode);
      }
    }
    return out;
  }

  /** Replicas of a model in the pool (any state). */
  int replicas(String model) throws IOException, InterruptedException {
    return get("/admin/models/" + model).path("pool").path("replicas").size();
  }
}
