package io.cobalt.kms.keys;

import java.time.Instant;

/** One version of a KEK: its number (1, 2, ...), state and creation time. No key material. */
public record KeyVersion(int version, KeyState state, Instant created) {}
