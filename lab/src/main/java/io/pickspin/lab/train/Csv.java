package io.pickspin.lab.train;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks. */
final class Csv {
  private Csv() {}

  /** All records including the header row. */
  static List<List<String>> read(Path file) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<String> row = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      boolean any = false;
      int c;
      while ((c = r.read()) != -1) {
        any = true;
        if (quoted) {
          if (c == '"') {
            r.mark(1);
            int n = r.read();
            if (n == '"') field.append('"');
            else {
              quoted = false;
              if (n == -1) break;
              r.reset();
            }
          } else field.append((char) c);
        } else if (c == '"') quoted = true;
        else if (c == ',') {
          row.add(field.toString());
          field.setLength(0);
        } else if (c == '\n') {
          row.add(field.toString());
          field.setLength(0);
          rows.add(row);
          row = new ArrayList<>();
          any = false;
        } else if (c != '\r') field.append((char) c);
      }
      if (any || field.length() > 0 || !row.isEmpty()) {
        row.add(field.toString());
        rows.add(row);
      }
    }
    return rows;
  }
}
