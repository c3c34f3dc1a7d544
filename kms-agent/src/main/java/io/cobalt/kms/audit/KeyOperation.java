package io.cobalt.kms.audit;

/** The key operations the agent audits; the names are the audit log's {@code op} values. */
public enum KeyOperation {
  GENERATE_DEK,
  UNWRAP,
  GET_KEY,
  CREATE_KEY,
  ROTATE
}
