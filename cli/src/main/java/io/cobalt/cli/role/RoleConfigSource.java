package io.cobalt.cli.role;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The raw settings of one role: a properties file, overridden key by key by environment variables
 * ({@code grpc.port} ← {@code COBALT_GRPC_PORT}). Typed readers collect every problem, so a bad file
 * is reported in one go ({@link #validate()}). Relative paths resolve against the file's directory.
 */
final class RoleConfigSource {
  static final String ENV_PREFIX = "COBALT_";

  private final Path file;
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> origins = new LinkedHashMap<>();
  private final Set<String> read = new TreeSet<>();
  private final List<String> problems = new ArrayList<>();

  private RoleConfigSource(Path file) {
    this.file = file;
  }

  /** Loads {@code file}, then applies the {@code COBALT_*} variables of {@code env} that name one of its keys or a known key. */
  static RoleConfigSource load(Path file, Map<String, String> env, Set<String> knownKeys) throws RoleConfigException {
    RoleConfigSource s = new RoleConfigSource(file.toAbsolutePath().normalize());
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(s.file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      throw new RoleConfigException("config file " + s.file + " does not exist");
    } catch (IOException | IllegalArgumentException e) {
      throw new RoleConfigException("cannot read config file " + s.file + ": " + e.getMessage());
    }
    for (String key : new TreeSet<>(p.stringPropertyNames())) {
      s.values.put(key, p.getProperty(key).trim());
      s.origins.put(key, "file");
    }
    Set<String> keys = new TreeSet<>(knownKeys);
    keys.addAll(s.values.keySet());
    for (String key : keys) {
      String v = env.get(envName(key));
      if (v != null) {
        s.values.put(key, v.trim());
        s.origins.put(key, "env " + envName(key));
      }
    }
    for (String key : s.values.keySet()) {
      if (!knownKeys.contains(key)) {
        s.problems.add("unknown key '" + key + "' (known: " + String.join(", ", new TreeSet<>(knownKeys)) + ")");
      }
    }
    return s;
  }

  /** {@code grpc.port} → {@code COBALT_GRPC_PORT}; {@code kms-agent.port} → {@code COBALT_KMS_AGENT_PORT}. */
  static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  Path file() {
    return file;
  }

  /** Where the value of {@code key} came from: {@code file}, {@code env COBALT_X} or {@code default}. */
  String origin(String key) {
    return origins.getOrDefault(key, "default");
  }

  /** Whether {@code key} has a non-blank value (file or environment). */
  boolean has(String key) {
    String v = values.get(key);
    return v != null && !v.isEmpty();
  }

  String string(String key, String defaultValue) {
    read.add(key);
    String v = values.get(key);
    if (v == null || v.isEmpty()) {
      if (defaultValue == null) {
        problems.add("missing required key '" + key + "' (or " + envName(key) + ")");
      }
      return defaultValue;
    }
    return v;
  }

  String required(String key) {
    return string(key, null);
  }

  int port(String key, Integer defaultValue) {
    return (int) number(key, defaultValue == null ? null : defaultValue.longValue(), 1, 65_535);
  }

  long number(String key, Long defaultValue, long min, long max) {
    String v = string(key, defaultValue == null ? null : defaultValue.toString());
    if (v == null) {
      return min;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) {
        problems.add(key + " must be in [" + min + ", " + max + "], was " + n + " (" + origin(key) + ")");
        return min;
      }
      return n;
    } catch (NumberFormatException e) {
      problems.add(key + " must be an integer, was '" + v + "' (" + origin(key) + ")");
      return min;
    }
  }

  /** A path; relative ones resolve against the config file's directory. */
  Path path(String key, String defaultValue) {
    String v = string(key, defaultValue);
    if (v == null) {
      return file.getParent();
    }
    return file.getParent().resolve(v).normalize();
  }

  /** A comma-separated list; blank entries dropped. */
  List<String> list(String key, String defaultValue) {
    String v = string(key, defaultValue);
    List<String> out = new ArrayList<>();
    if (v != null) {
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return out;
  }

  void problem(String message) {
    problems.add(message);
  }

  /** Throws with every problem found so far, if any. */
  void validate() throws RoleConfigException {
    if (!problems.isEmpty()) {
      throw new RoleConfigException("invalid config " + file + ":\n  - " + String.join("\n  - ", problems));
    }
  }
}
