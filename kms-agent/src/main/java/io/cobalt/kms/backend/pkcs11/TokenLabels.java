package io.cobalt.kms.backend.pkcs11;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The labels of the tokens a PKCS#11 module presents, so that the backend can pick its token by
 * label: SunPKCS11 takes a slot id or a slot list index, never a label, and no public JDK API reads
 * a token's label. This reads them in-process, without a PIN, through the JDK's own PKCS#11 wrapper
 * ({@code sun.security.pkcs11.wrapper}, the classes SunPKCS11 is built on): {@code C_GetSlotList}
 * and {@code C_GetTokenInfo} on the same module instance that SunPKCS11 then uses (the wrapper keeps
 * one per module path, initialised once per process, as PKCS#11 requires).
 *
 * <p>The wrapper package is not exported, so the JVM needs
 * {@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}; cobalt.jar's
 * manifest carries it ({@code Add-Exports}) for {@code java -jar}. Reflection, not a compile-time
 * dependency: javac refuses {@code --add-exports} of a system module together with {@code --release}.
 * Without the export, selecting by label fails with a message that says so; selecting by slot list
 * index does not need it.
 */
final class TokenLabels {
  static final String WRAPPER_PACKAGE = "sun.security.pkcs11.wrapper";
  static final String ADD_EXPORTS = "--add-exports jdk.crypto.cryptoki/" + WRAPPER_PACKAGE + "=ALL-UNNAMED";
  /** PKCS#11 v2.40 §3.2: CKF_OS_LOCKING_OK, the flag SunPKCS11 initialises modules with. */
  private static final long CKF_OS_LOCKING_OK = 0x2L;
  /** PKCS#11 v2.40 §3.2, CK_TOKEN_INFO.flags: the token has been initialised (a free slot's has not). */
  private static final long CKF_TOKEN_INITIALIZED = 0x400L;
  /** At most this many tokens are named in a message. */
  private static final int MAX_LISTED = 16;

  /** One token: its slot id and its label (blank padding removed). */
  record Token(long slotId, String label) {
    @Override
    public String toString() {
      return "'" + label + "' (slot " + slotId + ")";
    }
  }

  private TokenLabels() {}

  /**
   * The slot id of the one token labelled {@code label}.
   *
   * @throws IOException if no token or more than one token has that label (the message names the
   *     setting and the tokens present), or the module cannot be asked
   */
  static long slotOf(String library, String label) throws IOException {
    List<Token> tokens = tokens(library);
    List<Token> matching = tokens.stream().filter(t -> t.label().equals(label)).toList();
    if (matching.size() == 1) {
      long slot = matching.get(0).slotId();
      if (slot < 0 || slot > Integer.MAX_VALUE) {
        throw new IOException("the token labelled '" + label + "' is in slot " + Long.toUnsignedString(slot)
            + ", beyond the slot ids SunPKCS11 accepts (at most " + Integer.MAX_VALUE
            + "); select it by pkcs11.slot.index instead of pkcs11.token.label");
      }
      return slot;
    }
    if (matching.isEmpty()) {
      throw new IOException("pkcs11.token.label: no token of " + library + " is labelled '" + label
          + "'; tokens present: " + listed(tokens));
    }
    throw new IOException("pkcs11.token.label: " + matching.size() + " tokens of " + library + " are labelled '"
        + label + "' (" + listed(matching) + "); the label must name exactly one token: relabel the others,"
        + " or select by pkcs11.slot.index");
  }

  private static String listed(List<Token> tokens) {
    if (tokens.isEmpty()) {
      return "none";
    }
    List<String> names = new ArrayList<>();
    for (Token t : tokens.subList(0, Math.min(MAX_LISTED, tokens.size()))) {
      names.add(t.toString());
    }
    return String.join(", ", names) + (tokens.size() > MAX_LISTED ? " and " + (tokens.size() - MAX_LISTED) + " more" : "");
  }

  /** Every initialised token of the module, in slot list order. */
  static List<Token> tokens(String library) throws IOException {
    try {
      Class<?> pkcs11 = Class.forName(WRAPPER_PACKAGE + ".PKCS11");
      if (!pkcs11.getModule().isExported(WRAPPER_PACKAGE, TokenLabels.class.getModule())) {
        throw new IOException("choosing the PKCS#11 token by pkcs11.token.label needs the JVM option " + ADD_EXPORTS
            + " (cobalt.jar's manifest sets it for java -jar); or select the token by pkcs11.slot.index");
      }
      Class<?> initArgsClass = Class.forName(WRAPPER_PACKAGE + ".CK_C_INITIALIZE_ARGS");
      Object initArgs = initArgsClass.getConstructor().newInstance();
      initArgsClass.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
      Method getInstance = pkcs11.getMethod("getInstance", String.class, String.class, initArgsClass, boolean.class);
      Object module = getInstance.invoke(null, library, "C_GetFunctionList", initArgs, false);
      long[] slots = (long[]) pkcs11.getMethod("C_GetSlotList", boolean.class).invoke(module, true);
      Method tokenInfo = pkcs11.getMethod("C_GetTokenInfo", long.class);
      Class<?> tokenInfoClass = Class.forName(WRAPPER_PACKAGE + ".CK_TOKEN_INFO");
      Field labelField = tokenInfoClass.getField("label");
      Field flagsField = tokenInfoClass.getField("flags");
      List<Token> tokens = new ArrayList<>();
      for (long slot : slots) {
        Object info = tokenInfo.invoke(module, slot);
        if ((flagsField.getLong(info) & CKF_TOKEN_INITIALIZED) != 0) {
          tokens.add(new Token(slot, label((char[]) labelField.get(info))));
        }
      }
      return tokens;
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException("cannot list the tokens of PKCS#11 module " + library + ": " + cause.getMessage());
    } catch (ReflectiveOperationException | ClassCastException | IllegalArgumentException e) {
      throw new IOException("cannot list the tokens of PKCS#11 module " + library + ": this JDK's PKCS#11 wrapper"
          + " is not the one expected (" + e.getClass().getSimpleName() + "); select the token by pkcs11.slot.index");
    }
  }

  /**
   * A label as the wrapper returns it: each UTF-8 byte of the 32-byte field widened to a char,
   * padded with blanks (some modules pad with NULs).
   */
  static String label(char[] field) {
    byte[] bytes = new byte[field.length];
    int n = 0;
    for (char c : field) {
      bytes[n++] = (byte) c;
    }
    while (n > 0 && (bytes[n - 1] == ' ' || bytes[n - 1] == 0)) {
      n--;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
    } catch (CharacterCodingException e) {
      // Not UTF-8 as PKCS#11 requires: show the bytes as Latin-1; such a label never equals a configured one.
      return new String(bytes, 0, n, StandardCharsets.ISO_8859_1) + " (not UTF-8)";
    }
  }
}
