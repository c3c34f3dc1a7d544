package io.cobalt.cli.admin;

import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.proto.kms.v1.KeySourceInfo;
import io.cobalt.proto.kms.v1.KeySourceSetRequest;
import java.io.PrintWriter;
import java.time.Instant;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cobalt admin accounts ...}: the key source of a storage account (ADR 0031) — the agent's
 * service-managed key {@code account/<account>}, or a customer-managed key on a backend, pinned to
 * a version or following the latest. A switch takes effect for new data at once; stored DEKs move
 * with {@code cobalt admin keys rewrap --account A}, never by re-encrypting data.
 */
@Command(name = "accounts", mixinStandardHelpOptions = true, description = "Storage accounts: key source.",
    subcommands = {AccountsCommand.SetKey.class, AccountsCommand.ShowKey.class})
final class AccountsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** --service-managed | --backend B --key K [--version N]. */
  static final class Source {
    @Option(names = "--service-managed", required = true,
        description = "the agent's own key account/<account>[/scope/<scope>] (created on first use)")
    boolean serviceManaged;

    @ArgGroup(exclusive = false, multiplicity = "1")
    CustomerKey customer;
  }

  static final class CustomerKey {
    @Option(names = "--backend", required = true, description = "local, pkcs11 or kmip (as configured on the agent)")
    String backend;

    @Option(names = "--key", required = true, paramLabel = "NAME", description = "the customer key: <name> or cmk/<name>")
    String key;

    @Option(names = "--version", defaultValue = "0", paramLabel = "N",
        description = "pin this version (default: follow the latest enabled version)")
    int version;
  }

  static KeySourceSetRequest request(String account, String scope, Source source) throws KeyAdminException {
    KeySourceSetRequest.Builder b = KeySourceSetRequest.newBuilder().setAccount(account).setScope(scope);
    if (source.customer == null) {
      return b.setServiceManaged(true).build();
    }
    if (source.customer.version < 0) {
      throw new KeyAdminException("--version must be 1 or more (leave it out for the latest)", "USAGE");
    }
    return b.setBackend(source.customer.backend).setKeyName(source.customer.key).setVersion(source.customer.version)
        .build();
  }

  static void print(PrintWriter out, KeySourceInfo i) {
    String who = i.getScope().isEmpty() ? "account " + i.getAccount() : "scope " + i.getScope() + " of account "
        + i.getAccount();
    if (i.getServiceManaged()) {
      out.println(who + ": service-managed key " + i.getKeyId());
    } else {
      out.println(who + ": customer-managed key " + i.getKeyId() + " on " + i.getBackend()
          + (i.getPinnedVersion() == 0 ? ", latest version" : ", pinned to version " + i.getPinnedVersion()));
    }
    out.println("  new DEKs: " + i.getEffectiveKeyId() + (i.getEffectiveVersion() == 0 ? " (no usable version yet)"
        : " v" + i.getEffectiveVersion()));
    if (i.getChangedEpochMillis() != 0) {
      out.println("  changed: " + Instant.ofEpochMilli(i.getChangedEpochMillis()));
    }
  }

  @Command(name = "set-key", mixinStandardHelpOptions = true,
      description = {"Set the key source of an account: --service-managed, or --backend B --key K [--version N].",
          "Refused if the customer key does not exist on that backend or is not enabled.",
          "Then move the stored DEKs: cobalt admin keys rewrap --account A --data DIR."})
  static final class SetKey extends KeysCommand.AgentCall {
    @Option(names = "--account", required = true, description = "the storage account")
    String account;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      ScopesCommand.keyId(account, null);
      print(out, client.setKeySource(request(account, "", source)));
    }
  }

  @Command(name = "show-key", mixinStandardHelpOptions = true, description = "Show the key source of an account.")
  static final class ShowKey extends KeysCommand.AgentCall {
    @Option(names = "--account", required = true, description = "the storage account")
    String account;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      ScopesCommand.keyId(account, null);
      print(out, client.keySource(account, ""));
    }
  }
}
