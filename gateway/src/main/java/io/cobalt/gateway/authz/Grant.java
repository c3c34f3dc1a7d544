package io.cobalt.gateway.authz;

import io.cobalt.gateway.auth.Principal;
import io.cobalt.gateway.auth.ResponseHeaderOverrides;

/**
 * What authorization allowed a request, for the parts an operation must still apply itself.
 *
 * @param principal who is calling
 * @param mayOverwriteBlobs false for a SAS with {@code c} but not {@code w}: Put Blob may create a
 *     blob but must answer 403 AuthorizationPermissionMismatch if one exists
 * @param overrides response headers a service SAS signed in (Get Blob / Get Blob Properties)
 */
public record Grant(Principal principal, boolean mayOverwriteBlobs, ResponseHeaderOverrides overrides) {}
