package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;

/** Azure's naming rules for containers and blobs; violations are 400 InvalidResourceName. */
public final class ResourceNames {
  public static final int MAX_BLOB_NAME_CHARS = 1024;

  private ResourceNames() {}

  /** 3–63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit. */
  public static boolean isValidContainerName(String name) {
    if (name == null || name.length() < 3 || name.length() > 63) {
      return false;
    }
    if (name.equals("$root") || name.equals("$logs") || name.equals("$web")) {
      return false; // special containers are not supported yet
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum) {
        if (c != '-' || i == 0 || i == name.length() - 1 || name.charAt(i - 1) == '-') {
          return false;
        }
      }
    }
    return true;
  }

  /** 1–1024 characters, none of them a control character that XML listings could not carry. */
  public static boolean isValidBlobName(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_BLOB_NAME_CHARS) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7F || c == 0xFFFE || c == 0xFFFF) {
        return false;
      }
    }
    return true;
  }

  static void requireContainerName(String name) {
    if (!isValidContainerName(name)) {
      throw AzureError.INVALID_RESOURCE_NAME.exception();
    }
  }

  static void requireBlobName(String name) {
    if (!isValidBlobName(name)) {
      throw AzureError.INVALID_RESOURCE_NAME.exception();
    }
  }
}
