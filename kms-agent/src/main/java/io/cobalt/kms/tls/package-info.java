/**
 * The agent's own TLS material, reloaded from its files without a restart (delegating JSSE key and
 * trust managers over the material loaded last).
 */
package io.cobalt.kms.tls;
