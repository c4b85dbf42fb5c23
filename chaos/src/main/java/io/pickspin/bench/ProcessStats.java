package io.pickspin.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** CPU time and resident memory of a process and its descendants (nginx's workers), read from /proc (Linux). */
final class ProcessStats {
  private static final long TICKS_PER_SECOND = clockTicks();

  private ProcessStats() {}

  /** user + system CPU time in milliseconds, of the process and its live descendants. */
  static long cpuMillis(long pid) {
    return cpuMillis(withDescendants(pid));
  }

  /** user + system CPU time in milliseconds of this process alone (not the servers it started). */
  static long ownCpuMillis() {
    return cpuMillis(List.of(ProcessHandle.current().pid()));
  }

  private static long cpuMillis(List<Long> pids) {
    long ticks = 0;
    for (long p : pids) {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(p), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
      } catch (IOException | RuntimeException e) {
        // a process that just ended
      }
    }
    return ticks * 1000 / TICKS_PER_SECOND;
  }

  /** Resident set size in KiB, of the process and its live descendants. */
  static long rssKib(long pid) {
    long kib = 0;
    for (long p : withDescendants(pid)) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p), "status"))) {
          if (line.startsWith("VmRSS:")) kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      } catch (IOException | RuntimeException e) {
        // a process that just ended
      }
    }
    return kib;
  }

  private static List<Long> withDescendants(long pid) {
    List<Long> all = new ArrayList<>();
    all.add(pid);
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
    return all;
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
