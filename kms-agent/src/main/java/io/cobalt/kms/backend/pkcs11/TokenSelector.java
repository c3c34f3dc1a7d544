package io.cobalt.kms.backend.pkcs11;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Which token of the PKCS#11 module the backend uses: the one at an index of the module's slot list,
 * or the one whose label is given. The label is what an operator sees ({@code softhsm2-util --show-slots},
 * {@code pkcs11-tool -L}) and stays the same when tokens are added or removed; the index does not
 * (SoftHSM2 lists its tokens in token-directory order, not in the order they were initialised).
 */
public sealed interface TokenSelector {
  /** PKCS#11 token labels are 32 bytes of UTF-8, padded with blanks. */
  int MAX_LABEL_BYTES = 32;

  /** The token at {@code index} of the module's slot list ({@code C_GetSlotList}). */
  static TokenSelector slotListIndex(int index) {
    return new SlotListIndex(index);
  }

  /** The one token labelled {@code label}; resolved to its slot when the token is first opened. */
  static TokenSelector label(String label) {
    return new Label(label);
  }

  /** For logs and messages: {@code slot list index 0}, {@code the token labelled 'cobalt'}. */
  String describe();

  record SlotListIndex(int index) implements TokenSelector {
    public SlotListIndex {
      if (index < 0) {
        throw new IllegalArgumentException("slotListIndex must be >= 0");
      }
    }

    @Override
    public String describe() {
      return "slot list index " + index;
    }
  }

  /**
   * @param label 1 to 32 bytes of UTF-8 without control characters or trailing blanks (a token's label
   *     is padded with blanks, so they could not be told apart)
   */
  record Label(String label) implements TokenSelector {
    public Label {
      Objects.requireNonNull(label, "label");
      int bytes = label.getBytes(StandardCharsets.UTF_8).length;
      if (bytes < 1 || bytes > MAX_LABEL_BYTES) {
        throw new IllegalArgumentException("a PKCS#11 token label is 1 to " + MAX_LABEL_BYTES
            + " bytes of UTF-8, not " + bytes);
      }
      if (label.chars().anyMatch(Character::isISOControl)) {
        throw new IllegalArgumentException("a PKCS#11 token label has no control characters");
      }
      if (label.endsWith(" ")) {
        throw new IllegalArgumentException("a PKCS#11 token label does not end with a blank (labels are blank-padded)");
      }
    }

    @Override
    public String describe() {
      return "the token labelled '" + label + "'";
    }
  }
}
