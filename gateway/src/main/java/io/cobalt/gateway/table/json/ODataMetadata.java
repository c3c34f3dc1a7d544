package io.cobalt.gateway.table.json;

import java.util.Locale;
import java.util.Optional;

/**
 * How much OData metadata a JSON response carries, chosen by the request's {@code Accept} header
 * (or {@code $format}): {@code application/json;odata=nometadata|minimalmetadata|fullmetadata}.
 */
public enum ODataMetadata {
  /** Property values only: no {@code odata.*} members, no type annotations. */
  NO_METADATA("nometadata"),
  /** {@code odata.metadata}, {@code odata.etag} and the type annotations JSON cannot carry. */
  MINIMAL_METADATA("minimalmetadata"),
  /** As minimal, plus {@code odata.type}, {@code odata.id}, {@code odata.editLink} and Timestamp's type. */
  FULL_METADATA("fullmetadata");

  private final String parameter;

  ODataMetadata(String parameter) {
    this.parameter = parameter;
  }

  /** The {@code odata=} parameter value. */
  public String parameter() {
    return parameter;
  }

  /** The response Content-Type Azure sends for this level. */
  public String contentType() {
    return "application/json;odata=" + parameter + ";streaming=true;charset=utf-8";
  }

  /**
   * The level a media type asks for: {@code application/json} alone means minimal metadata; empty
   * if the media type is not JSON (Atom, XML) or names an unknown level.
   */
  public static Optional<ODataMetadata> fromMediaType(String mediaType) {
    if (mediaType == null) {
      return Optional.empty();
    }
    String[] parts = mediaType.split(";");
    if (!parts[0].trim().equalsIgnoreCase("application/json")) {
      return Optional.empty();
    }
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim();
      int eq = param.indexOf('=');
      if (eq > 0 && param.substring(0, eq).trim().equalsIgnoreCase("odata")) {
        String level = param.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
        for (ODataMetadata m : values()) {
          if (m.parameter.equals(level)) {
            return Optional.of(m);
          }
        }
        return Optional.empty();
      }
    }
    return Optional.of(MINIMAL_METADATA);
  }
}
