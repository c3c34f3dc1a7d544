package io.cobalt.crypto.chunk;

import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The seed of the randomized chunk tests. One base seed per JVM, from {@code -Dcobalt.seed=N} or
 * fresh; every test derives its own {@link Random} from it and a fixed purpose string, so a failing
 * run replays with {@code mvn -B -ntp test -pl crypto -Dcobalt.seed=N}. Register {@link Reporter}
 * to print the seed when a test fails.
 */
final class Seeds {
  static final long BASE = Long.getLong("cobalt.seed", new SecureRandom().nextLong());

  private Seeds() {}

  static Random random(String purpose) {
    return new Random(BASE * 0x9E3779B97F4A7C15L + purpose.hashCode());
  }

  /** For assertion messages. */
  static String replay() {
    return " [seed=" + BASE + "; replay with -Dcobalt.seed=" + BASE + "]";
  }

  /** Prints the seed of any failed test, whatever it threw. */
  static final class Reporter implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.err.println(
          "FAILED " + context.getDisplayName() + " in " + context.getRequiredTestClass().getName()
              + replay());
    }
  }
}
