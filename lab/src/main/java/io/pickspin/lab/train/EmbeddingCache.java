package io.pickspin.lab.train;

import io.pickspin.routing.classify.SentenceEncoder;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sentence embeddings kept on disk so that a rerun of the training does not encode the same prompts again: one file
 * per encoder and window ({@code <dir>/<encoder>-w<window>.emb}), each record the first 16 bytes of SHA-256 of the
 * prompt text followed by the embedding as floats. New embeddings are appended as they are made, so an interrupted
 * run keeps its progress. An embedding is exactly {@link SentenceEncoder#embed(String)}'s (one forward pass per prompt,
 * what the product computes). Not thread-safe; {@link #embedAll} runs the encoder on several threads itself.
 */
public final class EmbeddingCache implements AutoCloseable {
  private static final int MAGIC = 0x50534531; // "PSE1"

  private final Path file;
  private final SentenceEncoder encoder;
  private final int dim;
  private final Map<ByteBuffer, float[]> cache = new HashMap<>();
  private DataOutputStream out;

  /** Opens (or creates) the cache file of this encoder and window under {@code dir}. */
  public EmbeddingCache(Path dir, SentenceEncoder encoder) throws IOException {
    this.encoder = encoder;
    this.dim = encoder.dimension();
    Files.createDirectories(dir);
    this.file = dir.resolve(String.format(Locale.ROOT, "%s-w%d.emb", encoder.spec().name(), encoder.maxTokens()));
    if (Files.exists(file)) read();
  }

  public Path file() {
    return file;
  }

  public int size() {
    return cache.size();
  }

  private void read() throws IOException {
    try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (in.readInt() != MAGIC || in.readInt() != dim) throw new IOException(file + " is not an embedding cache of " + dim + "-d vectors");
      byte[] key = new byte[16];
      while (true) {
        try {
          in.readFully(key);
          float[] v = new float[dim];
          for (int i = 0; i < dim; i++) v[i] = in.readFloat();
          cache.put(ByteBuffer.wrap(key.clone()), v);
        } catch (EOFException e) {
          break; // a record cut short by an interrupted run is simply made again
        }
      }
    }
  }

  private static ByteBuffer key(String text) {
    byte[] d = RoutingLabels.sha256(text);
    byte[] k = new byte[16];
    System.arraycopy(d, 0, k, 0, 16);
    return ByteBuffer.wrap(k);
  }

  /** The cached embedding of a text, or null. */
  public float[] get(String text) {
    return cache.get(key(text));
  }

  /**
   * The embeddings of all texts, encoding the missing ones on {@code threads} threads and printing progress with an
   * estimate of the time left.
   */
  public float[][] embedAll(List<String> texts, int threads, String label) throws IOException {
    List<String> missing = new ArrayList<>(new LinkedHashSet<>(texts));
    missing.removeIf(t -> cache.containsKey(key(t)));
    if (!missing.isEmpty()) {
      log("%s: %d of %d prompts cached, encoding %d with %s (window %d) on %d threads", label,
          texts.size() - Math.min(texts.size(), missing.size()), texts.size(), missing.size(), encoder.spec().name(),
          encoder.maxTokens(), threads);
      encode(missing, threads);
    } else {
      log("%s: all %d prompts cached (%s)", label, texts.size(), file.getFileName());
    }
    float[][] outv = new float[texts.size()][];
    for (int i = 0; i < outv.length; i++) outv[i] = cache.get(key(texts.get(i)));
    return outv;
  }

  private void encode(List<String> missing, int threads) throws IOException {
    if (out == null) {
      boolean fresh = !Files.exists(file) || Files.size(file) == 0;
      OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16));
      if (fresh) {
        out.writeInt(MAGIC);
        out.writeInt(dim);
      }
    }
    long t0 = System.nanoTime();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    float[][] results = new float[missing.size()][];
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        fs.add(pool.submit(() -> {
          int i;
          while ((i = next.getAndIncrement()) < missing.size()) {
            results[i] = encoder.embed(missing.get(i));
            done.incrementAndGet();
          }
          return null;
        }));
      }
      int written = 0;
      long lastLog = System.nanoTime();
      while (written < missing.size()) {
        // write finished ones in order, report every 10 s
        while (written < missing.size() && results[written] != null) {
          write(missing.get(written), results[written]);
          written++;
        }
        if (System.nanoTime() - lastLog > 10_000_000_000L) {
          lastLog = System.nanoTime();
          int d = done.get();
          double secs = (lastLog - t0) / 1e9;
          double rate = d / Math.max(secs, 1e-9);
          log("  embedded %d/%d (%.0f%%), %.1f ms a prompt, about %.0f s left", d, missing.size(),
              100.0 * d / missing.size(), 1000 / Math.max(rate, 1e-9), (missing.size() - d) / Math.max(rate, 1e-9));
          out.flush();
        }
        for (Future<?> f : fs) if (f.isDone()) getOrThrow(f);
        if (written < missing.size() && results[written] == null) sleep();
      }
      for (Future<?> f : fs) getOrThrow(f);
    } finally {
      pool.shutdownNow();
      out.flush();
    }
    log("  embedded %d prompts in %.1f s", missing.size(), (System.nanoTime() - t0) / 1e9);
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void getOrThrow(Future<?> f) throws IOException {
    try {
      f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("encoding failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void write(String text, float[] v) throws IOException {
    ByteBuffer k = key(text);
    if (cache.putIfAbsent(k, v) != null) return;
    out.write(k.array());
    for (float x : v) out.writeFloat(x);
  }

  @Override
  public void close() throws IOException {
    if (out != null) out.close();
  }

  static void log(String fmt, Object... args) {
    System.out.printf(Locale.ROOT, "[train] " + fmt + "%n", args);
    System.out.flush();
  }
}
