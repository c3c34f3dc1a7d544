package io.cobalt.cli.admin;

import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import java.io.PrintWriter;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cobalt admin scopes ...}: Blob encryption scopes (ADR 0023). A scope is a service-managed
 * key of its own in the kms-agent, {@code account/<account>/scope/<name>}; it must be created here
 * before a container or a write names it (Azure requires a scope to exist). Disable, enable, rotate
 * and describe it as any key, with {@code cobalt admin keys ... account/<account>/scope/<name>}; point it at a
 * customer-managed key with {@code set-key} (ADR 0031).
 */
@Command(name = "scopes", mixinStandardHelpOptions = true, description = "Blob encryption scopes (keys of their own).",
    subcommands = {ScopesCommand.Create.class, ScopesCommand.ListScopes.class, ScopesCommand.SetKey.class,
        ScopesCommand.ShowKey.class})
final class ScopesCommand implements Runnable {
  private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9]{3,24}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9-]{3,63}");

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static String keyId(String account, String name) throws KeyAdminException {
    if (!ACCOUNT.matcher(account).matches()) {
      throw new KeyAdminException("account names are 3-24 lowercase letters and digits", "INVALID_ACCOUNT");
    }
    if (name != null && !NAME.matcher(name).matches()) {
      throw new KeyAdminException("scope names are 3-63 letters, digits and dashes", "INVALID_KEY_ID");
    }
    return "account/" + account + "/scope/" + (name == null ? "" : name);
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an encryption scope of an account.")
  static final class Create extends KeysCommand.AgentCall {
    @Option(names = "--account", required = true, description = "the storage account")
    String account;

    @Parameters(paramLabel = "SCOPE", description = "3-63 letters, digits and dashes")
    String name;

    @Option(names = "--backend", defaultValue = "", description = "local, pkcs11 or kmip (default: the agent's)")
    String backend;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.create(keyId(account, name), backend));
    }
  }

  @Command(name = "set-key", mixinStandardHelpOptions = true,
      description = {"Set the key source of a scope (ADR 0031): --service-managed (its own key), or --backend B"
          + " --key K [--version N].", "Then move its stored DEKs: cobalt admin keys rewrap --account A --scope S ..."})
  static final class SetKey extends KeysCommand.AgentCall {
    @Option(names = "--account", required = true, description = "the storage account")
    String account;

    @Option(names = "--scope", required = true, description = "the encryption scope (created before)")
    String name;

    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    AccountsCommand.Source source;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      keyId(account, name);
      AccountsCommand.print(out, client.setKeySource(AccountsCommand.request(account, name, source)));
    }
  }

  @Command(name = "show-key", mixinStandardHelpOptions = true, description = "Show the key source of a scope.")
  static final class ShowKey extends KeysCommand.AgentCall {
    @Option(names = "--account", required = true, description = "the storage account")
    String account;

    @Option(names = "--scope", required = true, description = "the encryption scope")
    String name;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      keyId(account, name);
      AccountsCommand.print(out, client.keySource(account, name));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the encryption scopes of an account.")
  static final class ListScopes extends KeysCommand.AgentCall {
    @Option(names = "--account", required = true, description = "the storage account")
    String account;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printList(out, client.list(keyId(account, null)));
    }
  }
}
