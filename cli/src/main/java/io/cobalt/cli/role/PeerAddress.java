package io.cobalt.cli.role;

/** {@code id@host:port} in a config file: a node as a peer or the gateway sees it. */
record PeerAddress(String id, String host, int port) {

  /** Parses one entry; {@code key} names the setting in error messages. */
  static PeerAddress parse(String key, String entry) {
    int at = entry.indexOf('@');
    int colon = entry.lastIndexOf(':');
    if (at <= 0 || colon < at + 2 || colon == entry.length() - 1) {
      throw new IllegalArgumentException(key + ": entry '" + entry + "' is not id@host:port");
    }
    int port;
    try {
      port = Integer.parseInt(entry.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": entry '" + entry + "' has a port that is not a number");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException(key + ": entry '" + entry + "' has a port outside 1..65535");
    }
    return new PeerAddress(entry.substring(0, at), entry.substring(at + 1, colon), port);
  }

  @Override
  public String toString() {
    return id + "@" + host + ":" + port;
  }
}
