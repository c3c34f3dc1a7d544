package io.cobalt.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of CONVENTIONS.md, enforced by the build rather than by hope: which packages
 * may touch RocksDB, gRPC, Ratis and Hazelcast, and which modules may not see each other's insides.
 * Runs over the production classes of every module (this module depends on all of them).
 */
class LayeringTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.cobalt");
  }

  @Test
  void onlyTheNodesRocksDbPackageImportsRocksDb() {
    noClasses().that().resideOutsideOfPackage("io.cobalt.node.storage.rocksdb..")
        .should().dependOnClassesThat().resideInAPackage("org.rocksdb..")
        .check(classes);
  }

  @Test
  void onlyRpcAdaptersImportGrpc() {
    noClasses().that().resideOutsideOfPackages(
            "io.cobalt.proto..", "..rpc..", "..api..", "..nodeclient..", "..consensus..")
        .and().doNotHaveFullyQualifiedName("io.cobalt.kms.KmsAgentServer")
        // KeyAgentClient and its nested classes (the key event stream's observer)
        .and().haveNameNotMatching("io\\.cobalt\\.gateway\\.encryption\\.KeyAgentClient(\\$.*)?")
        .should().dependOnClassesThat().resideInAPackage("io.grpc..")
        .check(classes);
  }

  @Test
  void onlyTheConsensusAdapterImportsRatis() {
    noClasses().that().resideOutsideOfPackage("..consensus..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.ratis..")
        .allowEmptyShould(true)
        .check(classes);
  }

  @Test
  void onlyAMembershipAdapterImportsHazelcast() {
    noClasses().that().resideOutsideOfPackage("..membership.hazelcast..")
        .should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
        .allowEmptyShould(true)
        .check(classes);
  }

  /**
   * Membership traffic is unencrypted (Hazelcast open source), so the membership code cannot even
   * reach chunks, records, contracts or keys: it sees only its own announcements.
   */
  @Test
  void membershipSeesNothingOfTheDataPathOrKeys() {
    classes().that().resideInAPackage("io.cobalt.node.membership..")
        .should().onlyDependOnClassesThat()
        .resideInAnyPackage("io.cobalt.node.membership..", "com.hazelcast..", "java..", "org.slf4j..")
        .check(classes);
  }

  @Test
  void theNodeNeverSeesTheGatewayOrTheKeyAgent() {
    noClasses().that().resideInAPackage("io.cobalt.node..")
        .should().dependOnClassesThat().resideInAnyPackage("io.cobalt.gateway..", "io.cobalt.kms..")
        .check(classes);
  }

  @Test
  void theGatewayReachesNodesAndKeysOnlyThroughTheirContracts() {
    noClasses().that().resideInAPackage("io.cobalt.gateway..")
        .should().dependOnClassesThat().resideInAnyPackage("io.cobalt.node..", "io.cobalt.kms..")
        .check(classes);
  }

  @Test
  void theKeyAgentNeverSeesTheDataPath() {
    noClasses().that().resideInAPackage("io.cobalt.kms..")
        .should().dependOnClassesThat().resideInAnyPackage("io.cobalt.gateway..", "io.cobalt.node..")
        .check(classes);
  }

  @Test
  void cryptoAndContractsDependOnNoProcess() {
    noClasses().that().resideInAnyPackage("io.cobalt.crypto..", "io.cobalt.proto..")
        .should().dependOnClassesThat()
        .resideInAnyPackage("io.cobalt.gateway..", "io.cobalt.node..", "io.cobalt.kms..", "io.cobalt.cli..")
        .check(classes);
  }

  @Test
  void noDumpingGroundPackagesOrClasses() {
    noClasses().should().resideInAnyPackage("..util..", "..common..", "..helper..", "..misc..")
        .orShould().haveSimpleNameEndingWith("Util")
        .orShould().haveSimpleNameEndingWith("Utils")
        .orShould().haveSimpleNameEndingWith("Helper")
        .orShould().haveSimpleNameEndingWith("Manager")
        .orShould().haveSimpleNameEndingWith("Impl")
        .check(classes);
  }
}
