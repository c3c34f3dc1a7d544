package io.cobalt.gateway.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * A path-style resource: {@code /<account>[/<container>[/<blob>]]}, each part percent-decoded
 * (UTF-8; '+' is a literal plus in a path). The blob name is everything after the container,
 * slashes included. Absent parts are null. The raw path (as sent) is kept for Shared Key.
 */
public record ResourcePath(String rawPath, String account, String container, String blob) {

  /** @throws AzureException InvalidUri for paths that are not well-formed percent-encoded UTF-8 */
  public static ResourcePath parse(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/")) {
      throw AzureError.INVALID_URI.exception();
    }
    String rest = rawPath.substring(1);
    int slash = rest.indexOf('/');
    String account = decode(slash < 0 ? rest : rest.substring(0, slash));
    if (account.isEmpty()) {
      throw AzureError.INVALID_URI.exception();
    }
    if (slash < 0 || slash == rest.length() - 1) {
      return new ResourcePath(rawPath, account, null, null);
    }
    rest = rest.substring(slash + 1);
    slash = rest.indexOf('/');
    String container = decode(slash < 0 ? rest : rest.substring(0, slash));
    String blob = slash < 0 || slash == rest.length() - 1 ? null : decode(rest.substring(slash + 1));
    return new ResourcePath(rawPath, account, container, blob);
  }

  static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw AzureError.INVALID_URI.exception();
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw AzureError.INVALID_URI.exception();
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        bytes.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw AzureError.INVALID_URI.exception();
    }
  }
}
