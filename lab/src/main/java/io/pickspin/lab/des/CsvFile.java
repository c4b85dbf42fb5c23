package io.pickspin.lab.des;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A CSV file with a header row: RFC 4180 quoting (quoted fields may hold commas, doubled quotes and newlines). */
final class CsvFile {
  private final List<String> header;
  private final List<List<String>> rows;
  private final Map<String, Integer> index = new HashMap<>();

  private CsvFile(List<List<String>> all) {
    if (all.isEmpty()) throw new IllegalArgumentException("empty CSV file");
    this.header = all.get(0);
    this.rows = all.subList(1, all.size());
    for (int i = 0; i < header.size(); i++) index.put(header.get(i).trim(), i);
  }

  static CsvFile read(Path file) throws IOException {
    return new CsvFile(parse(Files.readString(file, StandardCharsets.UTF_8)));
  }

  List<List<String>> rows() {
    return rows;
  }

  /** Column index by header name; throws if the file has no such column. */
  int column(String name) {
    Integer i = index.get(name);
    if (i == null) throw new IllegalArgumentException("no column '" + name + "' in " + header);
    return i;
  }

  boolean hasColumn(String name) {
    return index.containsKey(name);
  }

  static List<List<String>> parse(String text) {
    List<List<String>> out = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(field.toString());
        field.setLength(0);
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
        row.add(field.toString());
        field.setLength(0);
        if (!(row.size() == 1 && row.get(0).isEmpty())) out.add(row);
        row = new ArrayList<>();
      } else {
        field.append(c);
      }
    }
    if (field.length() > 0 || !row.isEmpty()) {
      row.add(field.toString());
      out.add(row);
    }
    return out;
  }
}
