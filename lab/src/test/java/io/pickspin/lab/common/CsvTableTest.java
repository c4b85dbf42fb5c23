package io.pickspin.lab.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTableTest {
  @Test
  void quotedFieldsKeepCommasQuotesAndLineBreaks(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("t.csv");
    Files.writeString(f, " prompt ,score\r\n\"a, b\",1\n\"say \"\"hi\"\"\nthen go\",2\n\nlast,3");
    CsvTable t = CsvTable.read(f);
    assertEquals(0, t.column("prompt"), "header names are trimmed");
    assertEquals(List.of(List.of("a, b", "1"), List.of("say \"hi\"\nthen go", "2"), List.of("last", "3")), t.rows());
    assertFalse(t.hasColumn("answer"));
    assertThrows(IllegalArgumentException.class, () -> t.column("answer"));
  }
}
