/** The admin commands' gRPC client of the kms-agent (the only admin package that imports io.grpc). */
package io.cobalt.cli.admin.rpc;
