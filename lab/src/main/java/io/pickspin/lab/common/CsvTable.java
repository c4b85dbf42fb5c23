package io.pickspin.lab.common;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A CSV file with a header row, read with jackson-dataformat-csv: RFC 4180 quoting (quoted fields may hold commas,
 * doubled quotes and line breaks), blank lines skipped. Columns are found by their header name (trimmed).
 */
public final class CsvTable {
  private static final CsvMapper CSV = CsvMapper.builder()
      .enable(CsvParser.Feature.WRAP_AS_ARRAY)
      .enable(CsvParser.Feature.SKIP_EMPTY_LINES)
      .build();

  private final Path file;
  private final List<String> header;
  private final List<List<String>> rows;
  private final Map<String, Integer> index = new HashMap<>();

  private CsvTable(Path file, List<String> header, List<List<String>> rows) {
    this.file = file;
    this.header = header;
    this.rows = rows;
    for (int i = 0; i < header.size(); i++) index.putIfAbsent(header.get(i).trim(), i);
  }

  /** Reads a whole file; its first record is the header. */
  public static CsvTable read(Path file) throws IOException {
    List<List<String>> all = new ArrayList<>();
    try (MappingIterator<String[]> it = CSV.readerFor(String[].class).readValues(file.toFile())) {
      while (it.hasNextValue()) all.add(Arrays.asList(it.nextValue()));
    }
    if (all.isEmpty()) throw new IOException("empty CSV file: " + file);
    return new CsvTable(file, all.get(0), all.subList(1, all.size()));
  }

  /** The header's names as written. */
  public List<String> header() {
    return header;
  }

  /** The records after the header, each a list of its fields. */
  public List<List<String>> rows() {
    return rows;
  }

  /** A column's index by header name; throws if the file has no such column. */
  public int column(String name) {
    Integer i = index.get(name);
    if (i == null) throw new IllegalArgumentException("no column '" + name + "' in " + file + ": " + header);
    return i;
  }

  public boolean hasColumn(String name) {
    return index.containsKey(name);
  }
}
