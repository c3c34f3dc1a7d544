/**
 * Authentication of blob manifests (the ordered list of streams and chunks of a blob version):
 * {@link io.cobalt.crypto.manifest.ManifestMac}. The canonical manifest encoding belongs to the
 * gateway ({@code io.cobalt.gateway.encryption.ManifestCodec}).
 */
package io.cobalt.crypto.manifest;
