/**
 * The admin commands' gRPC clients (the only admin package that imports io.grpc): the kms-agent's
 * key administration and the nodes' {@code NodeAdmin} status.
 */
package io.cobalt.cli.admin.rpc;
