/**
 * The HTTP edge of the Blob endpoint: the request pipeline ({@link io.cobalt.gateway.http.RequestPipeline}),
 * path-style URL parsing, the Azure error catalogue ({@link io.cobalt.gateway.http.AzureError}) and
 * its XML rendering, and the headers every response carries.
 */
package io.cobalt.gateway.http;
