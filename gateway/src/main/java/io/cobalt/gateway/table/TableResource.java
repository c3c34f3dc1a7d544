package io.cobalt.gateway.table;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.ResourcePath;

/**
 * What a Table service path names, after the account: {@code Tables} (the table collection),
 * {@code Tables('name')} (one table), {@code name} or {@code name()} (a table's entities), or
 * {@code name(PartitionKey='pk',RowKey='rk')} (one entity; quotes inside a key are doubled). The
 * segment arrives percent-decoded.
 */
public record TableResource(Kind kind, String table, String partitionKey, String rowKey) {
  public enum Kind { TABLES, TABLE, ENTITIES, ENTITY }

  /** @throws io.cobalt.gateway.http.AzureException InvalidUri for anything else */
  public static TableResource parse(ResourcePath path) {
    String s = path.container();
    if (s == null || path.blob() != null) {
      throw AzureError.INVALID_URI.exception();
    }
    if (s.equals("Tables")) {
      return new TableResource(Kind.TABLES, null, null, null);
    }
    int open = s.indexOf('(');
    if (open < 0) {
      return new TableResource(Kind.ENTITIES, s, null, null);
    }
    if (!s.endsWith(")")) {
      throw AzureError.INVALID_URI.exception();
    }
    String name = s.substring(0, open);
    String args = s.substring(open + 1, s.length() - 1);
    if (name.equals("Tables")) {
      Cursor c = new Cursor(args);
      String table = c.quoted();
      c.end();
      return new TableResource(Kind.TABLE, table, null, null);
    }
    if (args.isEmpty()) {
      return new TableResource(Kind.ENTITIES, name, null, null);
    }
    Cursor c = new Cursor(args);
    c.expect("PartitionKey=");
    String pk = c.quoted();
    c.expect(",RowKey=");
    String rk = c.quoted();
    c.end();
    return new TableResource(Kind.ENTITY, name, pk, rk);
  }

  private static final class Cursor {
    private final String s;
    private int at;

    Cursor(String s) {
      this.s = s;
    }

    void expect(String text) {
      if (!s.startsWith(text, at)) {
        throw AzureError.INVALID_URI.exception();
      }
      at += text.length();
    }

    String quoted() {
      expect("'");
      StringBuilder out = new StringBuilder();
      while (at < s.length()) {
        char c = s.charAt(at++);
        if (c == '\'') {
          if (at < s.length() && s.charAt(at) == '\'') {
            out.append('\'');
            at++;
          } else {
            return out.toString();
          }
        } else {
          out.append(c);
        }
      }
      throw AzureError.INVALID_URI.exception();
    }

    void end() {
      if (at != s.length()) {
        throw AzureError.INVALID_URI.exception();
      }
    }
  }
}
