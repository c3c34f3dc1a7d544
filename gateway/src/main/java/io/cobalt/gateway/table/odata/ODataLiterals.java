package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.EdmValue;
import java.util.HexFormat;

/** Formats a value as a {@code $filter} literal that {@link Filter#parse} reads back unchanged. */
public final class ODataLiterals {

  private ODataLiterals() {}

  /**
   * The literal for a value: {@code 'it''s'}, {@code 42}, {@code 42L}, {@code 1.5E10}, {@code true},
   * {@code datetime'…'}, {@code guid'…'}, {@code X'0a0b'}.
   *
   * @throws IllegalArgumentException for a NaN or infinite double, which the filter grammar cannot
   *     express
   */
  public static String format(EdmValue value) {
    if (value instanceof EdmValue.EdmString v) {
      return quote(v.value());
    }
    if (value instanceof EdmValue.EdmInt32 v) {
      return Integer.toString(v.value());
    }
    if (value instanceof EdmValue.EdmInt64 v) {
      return v.value() + "L";
    }
    if (value instanceof EdmValue.EdmDouble v) {
      if (!Double.isFinite(v.value())) {
        throw new IllegalArgumentException("no filter literal for " + v.value());
      }
      return Double.toString(v.value());
    }
    if (value instanceof EdmValue.EdmBoolean v) {
      return Boolean.toString(v.value());
    }
    if (value instanceof EdmValue.EdmDateTime v) {
      return "datetime'" + v.format() + "'";
    }
    if (value instanceof EdmValue.EdmGuid v) {
      return "guid'" + v.format() + "'";
    }
    if (value instanceof EdmValue.EdmBinary v) {
      return "X'" + HexFormat.of().formatHex(v.bytes()) + "'";
    }
    throw new IllegalArgumentException(value.toString());
  }

  /** A string literal: single quotes, each quote inside doubled. */
  public static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
