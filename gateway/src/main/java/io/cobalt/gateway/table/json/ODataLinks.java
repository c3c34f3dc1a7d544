package io.cobalt.gateway.table.json;

import java.nio.charset.StandardCharsets;

/**
 * The URLs and names a table's OData responses carry: {@code odata.metadata} ({@code
 * <service>/$metadata#<table>} for a query, {@code .../@Element} for one entity), {@code odata.type}
 * ({@code <account>.<table>}), {@code odata.id} and {@code odata.editLink} ({@code
 * <table>(PartitionKey='…',RowKey='…')}).
 *
 * @param serviceUrl the table endpoint as the client addressed it, e.g. {@code
 *     https://acct.table.core.windows.net} or {@code http://127.0.0.1:10002/devstoreaccount1}
 */
public record ODataLinks(String serviceUrl, String account, String table) {

  public ODataLinks {
    while (serviceUrl.endsWith("/")) {
      serviceUrl = serviceUrl.substring(0, serviceUrl.length() - 1);
    }
  }

  public String entitySetMetadata() {
    return serviceUrl + "/$metadata#" + table;
  }

  public String entityMetadata() {
    return entitySetMetadata() + "/@Element";
  }

  public String type() {
    return account + "." + table;
  }

  public String editLink(String partitionKey, String rowKey) {
    return table
        + "(PartitionKey='"
        + keySegment(partitionKey)
        + "',RowKey='"
        + keySegment(rowKey)
        + "')";
  }

  public String id(String partitionKey, String rowKey) {
    return serviceUrl + "/" + editLink(partitionKey, rowKey);
  }

  /** A key as an OData URL literal body: quotes doubled, then percent-encoded as a URI component. */
  static String keySegment(String key) {
    String quoted = key.replace("'", "''");
    StringBuilder sb = new StringBuilder();
    for (byte b : quoted.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-_.!~*'()".indexOf(c) >= 0) {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return sb.toString();
  }
}
