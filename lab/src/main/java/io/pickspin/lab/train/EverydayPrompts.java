package io.pickspin.lab.train;

import io.pickspin.lab.common.CsvTable;
import io.pickspin.model.Tier;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written everyday prompts labelled by the rubric of docs/everyday-dev-set.md, on lab's classpath: the dev set
 * ({@value #DEV}, 180 prompts, validation only: never training, never a source of examples or thresholds) and the
 * training set ({@value #TRAIN}, 600 prompts written separately, without sight of the dev set).
 */
public final class EverydayPrompts {
  public static final String DEV = "pickspin/everyday-dev-set.csv";
  public static final String TRAIN = "pickspin/everyday-train-set.csv";

  /** One prompt of the set with its tier. */
  public record Item(Tier tier, String prompt) {}

  private EverydayPrompts() {}

  /** The dev set, in file order. */
  public static List<Item> dev() throws IOException {
    return load(DEV);
  }

  /** The training set, in file order. */
  public static List<Item> train() throws IOException {
    return load(TRAIN);
  }

  /** One of the sets, in file order. */
  public static List<Item> load(String resource) throws IOException {
    URL url = EverydayPrompts.class.getClassLoader().getResource(resource);
    if (url == null) throw new IOException("no " + resource + " on the classpath");
    Path file;
    Path tmp = null;
    if ("file".equals(url.getProtocol())) {
      try {
        file = Path.of(url.toURI());
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
    } else {
      tmp = Files.createTempFile("everyday-prompts", ".csv");
      try (InputStream in = url.openStream()) {
        Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      file = tmp;
    }
    try {
      CsvTable t = CsvTable.read(file);
      int tier = t.column("tier"), prompt = t.column("prompt");
      List<Item> out = new ArrayList<>();
      for (List<String> r : t.rows()) out.add(new Item(Tier.parse(r.get(tier)), r.get(prompt)));
      return List.copyOf(out);
    } finally {
      if (tmp != null) Files.deleteIfExists(tmp);
    }
  }

  /** The dev set's prompts only. */
  public static List<String> devPrompts() throws IOException {
    return dev().stream().map(Item::prompt).toList();
  }
}
