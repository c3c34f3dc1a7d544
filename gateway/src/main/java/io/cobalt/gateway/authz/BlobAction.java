package io.cobalt.gateway.authz;

/**
 * What a Blob operation does, in the terms SAS permissions are written in: the account SAS resource
 * type it needs ({@code srt}: s, c, o), the account SAS permissions of which any one suffices, and
 * the service SAS permissions of which any one suffices (null: a service SAS can never do it —
 * container management is for account keys and account SAS only, as in Azure).
 */
public enum BlobAction {
  LIST_CONTAINERS('s', "l", null),
  CREATE_CONTAINER('c', "cw", null),
  DELETE_CONTAINER('c', "d", null),
  READ_CONTAINER_PROPERTIES('c', "r", null),
  LIST_BLOBS('c', "l", "l"),
  /** Put Blob: {@code c} creates a new blob only, overwriting needs {@code w} (checked by the handler). */
  WRITE_BLOB('o', "cw", "cw"),
  /** Append Block: add ({@code a}) or write; create alone does not allow adding to a blob. */
  APPEND_BLOCK('o', "aw", "aw"),
  /** Append Blob Seal: write only. */
  SEAL_BLOB('o', "w", "w"),
  READ_BLOB('o', "r", "r"),
  DELETE_BLOB('o', "d", "d"),
  /** Set Blob Properties / Set Blob Metadata: write only (create does not allow changing a blob). */
  WRITE_BLOB_PROPERTIES('o', "w", "w"),
  /** Set Container Metadata: account keys and account SAS only. */
  WRITE_CONTAINER_METADATA('c', "w", null),
  /** Get Container ACL / Set Container ACL / Lease Container: account keys and account SAS only. */
  READ_CONTAINER_ACL('c', "r", null),
  WRITE_CONTAINER_ACL('c', "w", null),
  LEASE_CONTAINER('c', "w", null),
  /** Lease Blob (acquire, renew, change, release, break): write. */
  LEASE_BLOB('o', "w", "w"),
  /** Get Blob Tags / Set Blob Tags (ADR 0018): the tag permission {@code t}. */
  READ_BLOB_TAGS('o', "t", "t"),
  WRITE_BLOB_TAGS('o', "t", "t"),
  /** Find Blobs by Tags across the account: account keys and account SAS with {@code f}, srt s. */
  FIND_BLOBS_IN_ACCOUNT('s', "f", null),
  /** Find Blobs by Tags in a container: {@code f}. */
  FIND_BLOBS_IN_CONTAINER('c', "f", "f"),
  /** Get / Set Blob Service Properties: account keys and account SAS with srt s only. */
  READ_SERVICE_PROPERTIES('s', "r", null),
  WRITE_SERVICE_PROPERTIES('s', "w", null),
  /**
   * Get Account Information: any SAS with any permission, on any resource type (as Azure: a
   * service SAS may ask from version 2018-03-28).
   */
  GET_ACCOUNT_INFORMATION(BlobAction.ANY_RESOURCE_TYPE, "rwdxylacuptfi", "racwdxyltfmeopi");

  /** A resource type ({@link #resourceType()}) that every account SAS {@code srt} allows. */
  public static final char ANY_RESOURCE_TYPE = '*';

  private final char resourceType;
  private final String accountSasPermissions;
  private final String serviceSasPermissions;

  BlobAction(char resourceType, String accountSasPermissions, String serviceSasPermissions) {
    this.resourceType = resourceType;
    this.accountSasPermissions = accountSasPermissions;
    this.serviceSasPermissions = serviceSasPermissions;
  }

  /** The account SAS resource type ({@code srt} letter) needed, or {@link #ANY_RESOURCE_TYPE}. */
  public char resourceType() {
    return resourceType;
  }

  public String accountSasPermissions() {
    return accountSasPermissions;
  }

  /** Null when no service SAS can do this. */
  public String serviceSasPermissions() {
    return serviceSasPermissions;
  }

  /** Whether anonymous callers could ever do this (reads, given a public container). */
  public boolean isRead() {
    return this == READ_BLOB || this == LIST_BLOBS || this == READ_CONTAINER_PROPERTIES;
  }
}
