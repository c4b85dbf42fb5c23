package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.HttpEntity.ChunkStreamPart;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The relay stage on its own: what reaches the client, in how many chunks, and how the end is reported. */
class RelayTest {
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("relay-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static final List<ByteString> TOKENS =
      IntStream.range(0, 10).mapToObj(i -> ByteString.fromString("data: {\"token\":" + i + "}\n\n")).toList();

  /** How the relay reported the end of the answer. */
  private static final class EndReport {
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    long firstByteNanos;

    BackendForwarder.Relay.Ended ended() {
      return (first, err) -> {
        firstByteNanos = first;
        error.complete(err);
      };
    }
  }

  private static List<ByteString> run(Source<ByteString, ?> replica, Flow<ByteString, ByteString, ?> relay, Duration perChunk)
      throws Exception {
    return replica.via(relay).throttle(1, perChunk).runWith(Sink.seq(), kit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static ByteString joined(List<ByteString> chunks) {
    return chunks.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
  }

  @Test
  void theChunksOfAChunkedAnswerGoOutAsChunksAndTheClientSideEndsIt() throws Exception {
    EndReport end = new EndReport();
    List<ChunkStreamPart> parts = new ArrayList<>();
    TOKENS.forEach(t -> parts.add(ChunkStreamPart.create(t)));
    parts.add(ChunkStreamPart.createLast("", List.of())); // not ChunkStreamPart.LAST: null when the Scala class initialised first
    List<? extends ChunkStreamPart> out =
        Source.from(parts).via(BackendForwarder.Relay.ofChunks(Duration.ofSeconds(5), null, end.ended()))
            .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(joined(TOKENS), joined(out.stream().map(ChunkStreamPart::data).toList()), "every byte, in order");
    assertTrue(out.stream().noneMatch(p -> p.isLastChunk() || p.data().isEmpty()), "no empty chunk: it would end the answer early");
    assertNull(end.error.get(5, TimeUnit.SECONDS));
  }

  @Test
  void chunksThatArriveWhileTheClientIsBusyGoOutTogether() throws Exception {
    EndReport end = new EndReport();
    List<ByteString> out = run(Source.from(TOKENS), BackendForwarder.Relay.ofBytes(Duration.ofSeconds(5), null, end.ended()), Duration.ofMillis(50));
    assertEquals(joined(TOKENS), joined(out), "every byte, in order");
    assertEquals(TOKENS.get(0), out.get(0), "the first token is not held back");
    assertTrue(out.size() < TOKENS.size() / 2, "the burst should be coalesced, got " + out.size() + " chunks");
    assertNull(end.error.get(5, TimeUnit.SECONDS));
    assertTrue(end.firstByteNanos > 0);
  }

  @Test
  void chunksThatArriveWhileTheClientIsIdleGoOutOneByOne() throws Exception {
    EndReport end = new EndReport();
    Source<ByteString, ?> slowReplica = Source.from(TOKENS.subList(0, 5)).throttle(1, Duration.ofMillis(60));
    List<ByteString> out = run(slowReplica, BackendForwarder.Relay.ofBytes(Duration.ofSeconds(5), null, end.ended()), Duration.ofMillis(1));
    assertEquals(TOKENS.subList(0, 5), out);
    assertNull(end.error.get(5, TimeUnit.SECONDS));
  }

  @Test
  void aFailedAnswerDeliversWhatArrivedThenTheClosingEvents() throws Exception {
    EndReport end = new EndReport();
    ByteString closing = ByteString.fromString("data: [DONE]\n\n");
    ByteString lastWords = ByteString.fromString("the replica dies here");
    List<ByteString> sent = new ArrayList<>(TOKENS);
    sent.add(lastWords);
    Source<ByteString, ?> broken = Source.from(sent).map(b -> {
      if (b.equals(lastWords)) throw new IllegalStateException("replica died");
      return b;
    });
    List<ByteString> out = run(broken, BackendForwarder.Relay.ofBytes(Duration.ofSeconds(5), () -> List.of(closing), end.ended()), Duration.ofMillis(20));
    List<ByteString> expected = new ArrayList<>(TOKENS);
    expected.add(closing);
    assertEquals(joined(expected), joined(out));
    assertTrue(end.error.get(5, TimeUnit.SECONDS) instanceof IllegalStateException);
  }

  @Test
  void aSilentReplicaTimesOutIntoTheClosingEvents() throws Exception {
    EndReport end = new EndReport();
    ByteString closing = ByteString.fromString("data: [DONE]\n\n");
    Source<ByteString, ?> stalled = Source.single(TOKENS.get(0)).concat(Source.never());
    List<ByteString> out = run(stalled, BackendForwarder.Relay.ofBytes(Duration.ofMillis(300), () -> List.of(closing), end.ended()), Duration.ofMillis(1));
    assertEquals(joined(List.of(TOKENS.get(0), closing)), joined(out));
    assertTrue(end.error.get(5, TimeUnit.SECONDS) instanceof org.apache.pekko.stream.StreamIdleTimeoutException);
  }
}
