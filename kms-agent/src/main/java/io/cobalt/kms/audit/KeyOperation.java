package io.cobalt.kms.audit;

/** The key operations the agent audits; the names are the audit log's {@code op} values. */
public enum KeyOperation {
  GENERATE_DEK,
  UNWRAP,
  GET_KEY,
  CREATE_KEY,
  ROTATE,
  REWRAP,
  LIST_KEYS,
  ENABLE,
  DISABLE,
  SET_MIN_DECRYPTION_VERSION,
  SET_ROTATION_POLICY,
  SCHEDULE_DELETE,
  RECOVER,
  PURGE,
  GET_IMPORT_KEY,
  IMPORT_KEY,
  REPORT_DEK_CENSUS,
  GET_DEK_CENSUS,
  SET_KEY_SOURCE,
  GET_KEY_SOURCE;

  /** Operations of the data path (gateway, rewrap job); all others manage keys and need an admin identity. */
  public boolean isDataPath() {
    return this == GENERATE_DEK || this == UNWRAP || this == GET_KEY || this == REWRAP;
  }
}
