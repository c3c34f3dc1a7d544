package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobContainerItem;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.LeaseDurationType;
import com.azure.storage.blob.models.LeaseStateType;
import com.azure.storage.blob.models.LeaseStatusType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.specialized.BlobLeaseClient;
import com.azure.storage.blob.specialized.BlobLeaseClientBuilder;
import com.azure.storage.blob.specialized.BlockBlobClient;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Lease Blob and Lease Container with the official SDK's BlobLeaseClient, against the node's real
 * partition state machine, with a gateway clock the test moves (expiry and break periods without
 * sleeping).
 */
class LeaseEndpointTest {
  private static final QueueEndpointTest.TestClock CLOCK = new QueueEndpointTest.TestClock();
  private static GatewayFixture gateway;
  private static BlobContainerClient box;
  private static final byte[] DATA = "leased payload".getBytes();

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c, CLOCK);
    box = gateway.keyClient().getBlobContainerClient("leases");
    box.create();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static BlobClient fresh(String name) {
    BlobClient b = box.getBlobClient(name);
    b.upload(BinaryData.fromBytes(DATA), true);
    return b;
  }

  static BlobLeaseClient lease(BlobClient b, String id) {
    return new BlobLeaseClientBuilder().blobClient(b).leaseId(id).buildClient();
  }

  static BlobRequestConditions withLease(String id) {
    return new BlobRequestConditions().setLeaseId(id);
  }

  static void assertRefused(int status, BlobErrorCode code, Executable call) {
    BlobStorageException e = assertThrows(BlobStorageException.class, call);
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(code, e.getErrorCode(), e.getMessage());
  }

  static void upload(BlobClient b, byte[] data, String leaseId) {
    b.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(data))
        .setRequestConditions(leaseId == null ? new BlobRequestConditions() : withLease(leaseId)), null, null);
  }

  @Test
  void leasedBlobRefusesWritesWithoutOrWithTheWrongLeaseId() {
    BlobClient b = fresh("guarded");
    String id = UUID.randomUUID().toString();
    assertEquals(id, lease(b, id).acquireLease(-1));
    String wrong = UUID.randomUUID().toString();

    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, () -> upload(b, "x".getBytes(), null));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION, () -> upload(b, "x".getBytes(), wrong));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, () -> b.setMetadata(Map.of("k", "v")));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION,
        () -> b.setMetadataWithResponse(Map.of("k", "v"), withLease(wrong), null, null));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING,
        () -> b.setHttpHeaders(new BlobHttpHeaders().setContentType("text/plain")));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, b::delete);
    assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION,
        () -> b.deleteWithResponse(null, withLease(wrong), null, null));
    BlockBlobClient bb = b.getBlockBlobClient();
    String blockId = Base64.getEncoder().encodeToString("block-1".getBytes());
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING,
        () -> bb.stageBlock(blockId, BinaryData.fromBytes("staged".getBytes())));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION, () -> bb.stageBlockWithResponse(
        new com.azure.storage.blob.options.BlockBlobStageBlockOptions(blockId, BinaryData.fromBytes("s".getBytes()))
            .setLeaseId(wrong), null, null));
    bb.stageBlockWithResponse(new com.azure.storage.blob.options.BlockBlobStageBlockOptions(
        blockId, BinaryData.fromBytes("staged".getBytes())).setLeaseId(id), null, null);
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, () -> bb.commitBlockList(List.of(blockId), true));
    assertArrayEquals(DATA, b.downloadContent().toBytes(), "no refused write changed the blob");
    assertEquals(Map.of(), b.getProperties().getMetadata());

    // The holder may do all of it; the lease survives its overwrites.
    upload(b, "v2".getBytes(), id);
    b.setMetadataWithResponse(Map.of("k", "v"), withLease(id), null, null);
    b.setHttpHeadersWithResponse(new BlobHttpHeaders().setContentType("text/plain"), withLease(id), null, null);
    BlobProperties p = b.getProperties();
    assertEquals(LeaseStateType.LEASED, p.getLeaseState());
    assertEquals(LeaseStatusType.LOCKED, p.getLeaseStatus());
    assertEquals(LeaseDurationType.INFINITE, p.getLeaseDuration());
    assertEquals(Map.of("k", "v"), p.getMetadata());
    assertArrayEquals("v2".getBytes(), b.downloadContent().toBytes());
    bb.stageBlockWithResponse(new com.azure.storage.blob.options.BlockBlobStageBlockOptions(  // Put Blob dropped it
        blockId, BinaryData.fromBytes("staged".getBytes())).setLeaseId(id), null, null);
    bb.commitBlockListWithResponse(List.of(blockId), null, null, null, withLease(id), null, null);
    assertArrayEquals("staged".getBytes(), b.downloadContent().toBytes());
    assertEquals(LeaseStateType.LEASED, b.getProperties().getLeaseState(), "lease kept by Put Block List");
    b.deleteWithResponse(null, withLease(id), null, null);
    assertTrue(!b.exists());
  }

  @Test
  void leaseIdOnAnUnleasedBlobIsRefused() {
    BlobClient b = fresh("unleased");
    String id = UUID.randomUUID().toString();
    assertRefused(412, BlobErrorCode.LEASE_NOT_PRESENT_WITH_BLOB_OPERATION, () -> upload(b, "x".getBytes(), id));
    assertRefused(409, BlobErrorCode.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION, () -> lease(b, id).renewLease());
    assertRefused(409, BlobErrorCode.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION, () -> lease(b, id).releaseLease());
    assertRefused(409, BlobErrorCode.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION, () -> lease(b, id).breakLease());
    assertRefused(409, BlobErrorCode.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION,
        () -> lease(b, id).changeLease(UUID.randomUUID().toString()));
    BlobProperties p = b.getProperties();
    assertEquals(LeaseStateType.AVAILABLE, p.getLeaseState());
    assertEquals(LeaseStatusType.UNLOCKED, p.getLeaseStatus());
  }

  @Test
  void acquireRenewChangeRelease() {
    BlobClient b = fresh("cycle");
    String a = UUID.randomUUID().toString();
    String other = UUID.randomUUID().toString();
    assertEquals(a, lease(b, a).acquireLease(30));
    assertEquals(LeaseDurationType.FIXED, b.getProperties().getLeaseDuration());
    assertRefused(409, BlobErrorCode.LEASE_ALREADY_PRESENT, () -> lease(b, other).acquireLease(30));
    assertEquals(a, lease(b, a).acquireLease(60), "acquiring a held lease again with its id is allowed");
    assertEquals(a, lease(b, a).renewLease());
    assertRefused(409, BlobErrorCode.LEASE_ID_MISMATCH_WITH_LEASE_OPERATION, () -> lease(b, other).renewLease());
    String c = UUID.randomUUID().toString();
    assertEquals(c, lease(b, a).changeLease(c));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION, () -> upload(b, "x".getBytes(), a));
    assertRefused(409, BlobErrorCode.LEASE_ID_MISMATCH_WITH_LEASE_OPERATION, () -> lease(b, a).releaseLease());
    lease(b, c).releaseLease();
    assertEquals(LeaseStateType.AVAILABLE, b.getProperties().getLeaseState());
    upload(b, "free".getBytes(), null);
    String any = lease(b, null).acquireLease(15);
    assertEquals(36, any.length(), "the gateway chose a GUID: " + any);
  }

  @Test
  void fixedLeaseExpiresWhenTheClockPassesItsDuration() {
    BlobClient b = fresh("expiring");
    String id = UUID.randomUUID().toString();
    lease(b, id).acquireLease(15);
    CLOCK.advance(Duration.ofSeconds(14));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, () -> upload(b, "x".getBytes(), null));
    CLOCK.advance(Duration.ofSeconds(2));
    BlobProperties p = b.getProperties();
    assertEquals(LeaseStateType.EXPIRED, p.getLeaseState());
    assertEquals(LeaseStatusType.UNLOCKED, p.getLeaseStatus());
    upload(b, "after expiry".getBytes(), null);
    assertRefused(412, BlobErrorCode.LEASE_LOST, () -> upload(b, "x".getBytes(), id));
    assertEquals(id, lease(b, id).renewLease(), "an expired lease may be renewed by its holder");
    assertEquals(LeaseStateType.LEASED, b.getProperties().getLeaseState());
    String other = UUID.randomUUID().toString();
    CLOCK.advance(Duration.ofSeconds(16));
    assertEquals(other, lease(b, other).acquireLease(-1), "anyone may acquire an expired lease");
  }

  @Test
  void breakPeriodHoldsTheLeaseInBreakingThenBroken() {
    BlobClient b = fresh("breaking");
    String id = UUID.randomUUID().toString();
    lease(b, id).acquireLease(-1);
    assertEquals(10, lease(b, null).breakLeaseWithResponse(10, null, null, null).getValue());
    assertEquals(LeaseStateType.BREAKING, b.getProperties().getLeaseState());
    assertEquals(LeaseStatusType.LOCKED, b.getProperties().getLeaseStatus());
    String other = UUID.randomUUID().toString();
    assertRefused(409, BlobErrorCode.LEASE_IS_BREAKING_AND_CANNOT_BE_ACQUIRED, () -> lease(b, other).acquireLease(15));
    assertRefused(409, BlobErrorCode.LEASE_IS_BREAKING_AND_CANNOT_BE_CHANGED, () -> lease(b, id).changeLease(other));
    assertRefused(409, BlobErrorCode.LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED, () -> lease(b, id).renewLease());
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, () -> upload(b, "x".getBytes(), null));
    upload(b, "holder during break".getBytes(), id);
    CLOCK.advance(Duration.ofSeconds(4));
    assertEquals(3, lease(b, null).breakLeaseWithResponse(3, null, null, null).getValue(), "a shorter period wins");
    CLOCK.advance(Duration.ofSeconds(3));
    assertEquals(LeaseStateType.BROKEN, b.getProperties().getLeaseState());
    assertRefused(409, BlobErrorCode.LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED, () -> lease(b, id).renewLease());
    upload(b, "anyone after break".getBytes(), null);
    assertEquals(other, lease(b, other).acquireLease(15));
  }

  @Test
  void breakWithoutPeriodBreaksInfiniteLeasesAtOnceAndFixedOnesAtExpiry() {
    BlobClient inf = fresh("break-infinite");
    lease(inf, UUID.randomUUID().toString()).acquireLease(-1);
    assertEquals(0, lease(inf, null).breakLease());
    assertEquals(LeaseStateType.BROKEN, inf.getProperties().getLeaseState());

    BlobClient fixed = fresh("break-fixed");
    lease(fixed, UUID.randomUUID().toString()).acquireLease(20);
    CLOCK.advance(Duration.ofSeconds(5));
    assertEquals(15, lease(fixed, null).breakLease());
    assertEquals(LeaseStateType.BREAKING, fixed.getProperties().getLeaseState());
    CLOCK.advance(Duration.ofSeconds(15));
    assertEquals(LeaseStateType.BROKEN, fixed.getProperties().getLeaseState());
  }

  @Test
  void listBlobsShowsLeaseState() {
    BlobClient b = fresh("listed-leased");
    lease(b, UUID.randomUUID().toString()).acquireLease(-1);
    BlobItem item = box.listBlobs(new ListBlobsOptions().setPrefix("listed-leased"), null).iterator().next();
    assertEquals(LeaseStateType.LEASED, item.getProperties().getLeaseState());
    assertEquals(LeaseStatusType.LOCKED, item.getProperties().getLeaseStatus());
    assertEquals(LeaseDurationType.INFINITE, item.getProperties().getLeaseDuration());
  }

  @Test
  void leasedContainerCannotBeDeletedWithoutItsLeaseId() {
    BlobServiceClient owner = gateway.keyClient();
    BlobContainerClient c = owner.getBlobContainerClient("leased-box");
    c.create();
    String id = UUID.randomUUID().toString();
    BlobLeaseClient leaseClient = new BlobLeaseClientBuilder().containerClient(c).leaseId(id).buildClient();
    assertEquals(id, leaseClient.acquireLease(-1));
    assertEquals(LeaseStateType.LEASED, c.getProperties().getLeaseState());
    assertEquals(LeaseDurationType.INFINITE, c.getProperties().getLeaseDuration());
    BlobContainerItem item = owner.listBlobContainers().stream()
        .filter(i -> i.getName().equals("leased-box")).findFirst().orElseThrow();
    assertEquals(LeaseStateType.LEASED, item.getProperties().getLeaseState());
    assertEquals(LeaseStatusType.LOCKED, item.getProperties().getLeaseStatus());

    String other = UUID.randomUUID().toString();
    assertRefused(409, BlobErrorCode.LEASE_ALREADY_PRESENT,
        () -> new BlobLeaseClientBuilder().containerClient(c).leaseId(other).buildClient().acquireLease(15));
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, c::delete);
    assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_CONTAINER_OPERATION,
        () -> c.deleteWithResponse(withLease(other), null, null));
    assertTrue(c.exists());
    // Metadata may be set without the lease id (container leases guard deletion only).
    c.setMetadata(Map.of("k", "v"));
    String changed = UUID.randomUUID().toString();
    assertEquals(changed, leaseClient.changeLease(changed));
    BlobLeaseClient holder = new BlobLeaseClientBuilder().containerClient(c).leaseId(changed).buildClient();
    assertEquals(changed, holder.renewLease());
    assertEquals(0, holder.breakLease());
    assertEquals(LeaseStateType.BROKEN, c.getProperties().getLeaseState());
    holder.releaseLease();
    assertEquals(LeaseStateType.AVAILABLE, c.getProperties().getLeaseState());
    String again = UUID.randomUUID().toString();
    new BlobLeaseClientBuilder().containerClient(c).leaseId(again).buildClient().acquireLease(15);
    c.deleteWithResponse(withLease(again), null, null);
    assertTrue(!c.exists());
  }

  @Test
  void breakingContainerLeaseStillGuardsDeletionUntilBroken() {
    BlobContainerClient c = gateway.keyClient().getBlobContainerClient("breaking-box");
    c.create();
    String id = UUID.randomUUID().toString();
    new BlobLeaseClientBuilder().containerClient(c).leaseId(id).buildClient().acquireLease(30);
    BlobLeaseClient breaker = new BlobLeaseClientBuilder().containerClient(c).buildClient();
    assertEquals(5, breaker.breakLeaseWithResponse(5, null, null, null).getValue());
    assertEquals(LeaseStateType.BREAKING, c.getProperties().getLeaseState());
    assertRefused(412, BlobErrorCode.LEASE_ID_MISSING, c::delete);
    CLOCK.advance(Duration.ofSeconds(5));
    assertEquals(LeaseStateType.BROKEN, c.getProperties().getLeaseState());
    assertEquals(LeaseStatusType.UNLOCKED, c.getProperties().getLeaseStatus());
    c.delete();
    assertTrue(!c.exists());
  }

  @Test
  void leaseOnAMissingBlobOrContainerIsNotFound() {
    BlobClient missing = box.getBlobClient("never-written");
    assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND, () -> lease(missing, null).acquireLease(15));
    BlobContainerClient none = gateway.keyClient().getBlobContainerClient("no-such-box");
    assertRefused(404, BlobErrorCode.CONTAINER_NOT_FOUND,
        () -> new BlobLeaseClientBuilder().containerClient(none).buildClient().acquireLease(15));
    assertNotEquals(null, box.getProperties().getETag());
  }
}
