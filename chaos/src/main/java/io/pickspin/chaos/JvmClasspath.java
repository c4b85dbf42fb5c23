package io.pickspin.chaos;

/** The classpath forked JVMs run on: this JVM's, also under Surefire (whose own classpath is a manifest-only jar). */
final class JvmClasspath {
  private JvmClasspath() {}

  static String current() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }
}
