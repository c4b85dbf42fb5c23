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
 * The everyday dev set (docs/everyday-dev-set.md): 180 hand-written prompts, 60 per tier, on lab's classpath at
 * {@value #RESOURCE}. Validation only: never training, never a source of examples or thresholds.
 */
public final class EverydayDevSet {
  public static final String RESOURCE = "pickspin/everyday-dev-set.csv";

  /** One prompt of the set with its tier. */
  public record Item(Tier tier, String prompt) {}

  private EverydayDevSet() {}

  /** The whole set, in file order. */
  public static List<Item> load() throws IOException {
    URL url = EverydayDevSet.class.getClassLoader().getResource(RESOURCE);
    if (url == null) throw new IOException("no " + RESOURCE + " on the classpath");
    Path file;
    Path tmp = null;
    if ("file".equals(url.getProtocol())) {
      try {
        file = Path.of(url.toURI());
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
    } else {
      tmp = Files.createTempFile("everyday-dev-set", ".csv");
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

  /** The prompts only. */
  public static List<String> prompts() throws IOException {
    return load().stream().map(Item::prompt).toList();
  }
}
