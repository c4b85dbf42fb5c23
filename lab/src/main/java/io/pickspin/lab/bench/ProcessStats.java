package io.pickspin.lab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * CPU time and resident memory of a process and its descendants (nginx's workers), and the whole machine's CPU time by
 * state, read from /proc (Linux).
 */
final class ProcessStats {
  private static final long TICKS_PER_SECOND = clockTicks();

  /**
   * The machine's CPU time since boot by state, in clock ticks summed over all cores: the aggregate "cpu" line of
   * /proc/stat. {@code steal} is time a virtual CPU was ready to run but the hypervisor ran something else.
   */
  record MachineCpu(long user, long nice, long system, long idle, long iowait, long irq, long softirq, long steal) {
    /** From a line such as {@code cpu  39215 0 19506 155037 417 0 3693 21273 0 0}; fields an old kernel lacks are 0. */
    static MachineCpu parse(String cpuLine) {
      String[] f = cpuLine.trim().split("\\s+");
      if (!f[0].equals("cpu")) throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat: " + cpuLine);
      long[] t = new long[8];
      for (int i = 0; i < t.length && i + 1 < f.length; i++) t[i] = Long.parseLong(f[i + 1]);
      return new MachineCpu(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
    }

    /** All CPU time. The guest fields after steal are left out: the kernel counts them in user and nice already. */
    long total() {
      return user + nice + system + idle + iowait + irq + softirq + steal;
    }

    /** The percentage of all CPU time between {@code earlier} and this reading that was stolen; NaN if none passed. */
    double stealPercentSince(MachineCpu earlier) {
      long total = total() - earlier.total();
      return total <= 0 ? Double.NaN : 100.0 * (steal - earlier.steal) / total;
    }
  }

  private ProcessStats() {}

  /** The machine's CPU time now, or null where /proc/stat cannot be read (not Linux). */
  static MachineCpu machineCpu() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
      return lines.filter(l -> l.startsWith("cpu ")).findFirst().map(MachineCpu::parse).orElse(null);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

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
