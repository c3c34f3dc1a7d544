package io.cobalt.gateway.http;

/**
 * The gateway's error catalogue: every error the Blob endpoint answers, with Azure's code, HTTP
 * status and message. Codes are Azure's and never change; clients (the SDKs) switch on them.
 */
public enum AzureError {
  AUTHENTICATION_FAILED(
      "AuthenticationFailed",
      403,
      "Server failed to authenticate the request. Make sure the value of Authorization header is"
          + " formed correctly including the signature."),
  AUTHORIZATION_FAILURE(
      "AuthorizationFailure", 403, "This request is not authorized to perform this operation."),
  AUTHORIZATION_PERMISSION_MISMATCH(
      "AuthorizationPermissionMismatch",
      403,
      "This request is not authorized to perform this operation using this permission."),
  /** The message names the source IP: use {@link #exceptionWithMessage}. */
  AUTHORIZATION_SOURCE_IP_MISMATCH(
      "AuthorizationSourceIPMismatch",
      403,
      "This request is not authorized to perform this operation using this source IP."),
  AUTHORIZATION_PROTOCOL_MISMATCH(
      "AuthorizationProtocolMismatch",
      403,
      "This request is not authorized to perform this operation using this protocol."),
  AUTHORIZATION_SERVICE_MISMATCH(
      "AuthorizationServiceMismatch",
      403,
      "This request is not authorized to perform this operation using this service."),
  AUTHORIZATION_RESOURCE_TYPE_MISMATCH(
      "AuthorizationResourceTypeMismatch",
      403,
      "This request is not authorized to perform this operation using this resource type."),
  INVALID_AUTHENTICATION_INFO(
      "InvalidAuthenticationInfo",
      400,
      "Authentication information is not given in the correct format. Check the value of"
          + " Authorization header."),
  /** Unknown account, as the Azure emulator (Azurite) answers it. */
  INVALID_STORAGE_ACCOUNT("InvalidOperation", 400, "Invalid storage account."),
  CONTAINER_NOT_FOUND("ContainerNotFound", 404, "The specified container does not exist."),
  CONTAINER_ALREADY_EXISTS("ContainerAlreadyExists", 409, "The specified container already exists."),
  PUBLIC_ACCESS_NOT_PERMITTED(
      "PublicAccessNotPermitted", 409, "Public access is not permitted on this storage account."),
  INVALID_METADATA(
      "InvalidMetadata", 400, "The metadata specified is invalid. It has characters that are not permitted."),
  METADATA_TOO_LARGE(
      "MetadataTooLarge", 400, "The size of the specified metadata exceeds the maximum size permitted."),
  INVALID_BLOB_TYPE("InvalidBlobType", 409, "The blob type is invalid for this operation."),
  /**
   * A blob type this account does not store (page blobs; append blobs until they are implemented):
   * what Azure answers an account that does not support a blob type ("Block blobs are not
   * supported." on premium page-blob accounts). The message names the type.
   */
  BLOB_TYPE_NOT_SUPPORTED("BlobTypeNotSupported", 400, "The blob type is not supported."),
  BLOB_NOT_FOUND("BlobNotFound", 404, "The specified blob does not exist."),
  /** Delete Blob without x-ms-delete-snapshots on a blob that has snapshots (ADR 0022). */
  SNAPSHOTS_PRESENT(
      "SnapshotsPresent", 409, "This operation is not permitted because the blob has snapshots."),
  SNAPSHOT_COUNT_EXCEEDED(
      "SnapshotCountExceeded", 409, "The snapshot count against this blob has been exceeded."),
  RESOURCE_NOT_FOUND("ResourceNotFound", 404, "The specified resource does not exist."),
  // ---- Customer-provided keys and encryption scopes (ADR 0023)
  /** A read or write of a blob written with a customer key, without the key. */
  BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION("BlobUsesCustomerSpecifiedEncryption", 409,
      "The blob is encrypted with customer specified encryption, but it was not provided in the request."),
  /** Another customer key (or scope) than the one the blob or its blocks were written with. */
  BLOB_CUSTOMER_SPECIFIED_ENCRYPTION_MISMATCH("BlobCustomerSpecifiedEncryptionMismatch", 409,
      "The given customer specified encryption does not match the encryption used to encrypt the blob."),
  /** A customer key on a read of a blob that was not written with one. */
  BLOB_DOES_NOT_USE_CUSTOMER_SPECIFIED_ENCRYPTION("BlobDoesNotUseCustomerSpecifiedEncryption", 409,
      "The blob is not encrypted with customer specified encryption, but one was provided in the request."),
  /**
   * A write naming another scope (or a customer key) in a container whose default scope denies
   * overrides: the code and message of a recorded service response (ADR 0023).
   */
  REQUEST_FORBIDDEN_BY_CONTAINER_ENCRYPTION_POLICY("RequestForbiddenByContainerEncryptionPolicy", 403,
      "The request is forbidden by the container encryption policy."),
  /** A customer key sent over plain HTTP (Azure requires HTTPS for CPK). */
  CUSTOMER_KEY_REQUIRES_HTTPS("InvalidInput", 400,
      "Customer provided encryption keys can only be used over HTTPS."),
  // ---- Leases and container ACLs (ADR 0015)
  LEASE_ID_MISSING(
      "LeaseIdMissing", 412, "There is currently a lease on the resource and no lease ID was specified in the request."),
  LEASE_ID_MISMATCH_WITH_BLOB_OPERATION(
      "LeaseIdMismatchWithBlobOperation", 412, "The lease ID specified did not match the lease ID for the blob."),
  LEASE_ID_MISMATCH_WITH_CONTAINER_OPERATION(
      "LeaseIdMismatchWithContainerOperation", 412,
      "The lease ID specified did not match the lease ID for the container."),
  LEASE_NOT_PRESENT_WITH_BLOB_OPERATION(
      "LeaseNotPresentWithBlobOperation", 412, "There is currently no lease on the blob."),
  LEASE_NOT_PRESENT_WITH_CONTAINER_OPERATION(
      "LeaseNotPresentWithContainerOperation", 412, "There is currently no lease on the container."),
  LEASE_LOST("LeaseLost", 412, "A lease ID was specified, but the lease for the resource has expired."),
  LEASE_ALREADY_PRESENT("LeaseAlreadyPresent", 409, "There is already a lease present."),
  LEASE_NOT_PRESENT_WITH_LEASE_OPERATION(
      "LeaseNotPresentWithLeaseOperation", 409, "There is currently no lease on the resource."),
  LEASE_ID_MISMATCH_WITH_LEASE_OPERATION(
      "LeaseIdMismatchWithLeaseOperation", 409, "The lease ID specified did not match the lease ID for the resource."),
  LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED(
      "LeaseIsBrokenAndCannotBeRenewed", 409, "The lease ID matched, but the lease has been broken explicitly and cannot be renewed."),
  LEASE_IS_BREAKING_AND_CANNOT_BE_ACQUIRED(
      "LeaseIsBreakingAndCannotBeAcquired", 409,
      "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is broken."),
  LEASE_IS_BREAKING_AND_CANNOT_BE_CHANGED(
      "LeaseIsBreakingAndCannotBeChanged", 409,
      "The lease ID matched, but the lease is currently in breaking state and cannot be changed."),
  INVALID_XML_NODE_VALUE("InvalidXmlNodeValue", 400, "The value for one of the XML nodes is not in the correct format."),
  // ---- Queue service
  QUEUE_NOT_FOUND("QueueNotFound", 404, "The specified queue does not exist."),
  QUEUE_ALREADY_EXISTS("QueueAlreadyExists", 409, "The specified queue already exists."),
  MESSAGE_NOT_FOUND("MessageNotFound", 404, "The specified message does not exist."),
  POP_RECEIPT_MISMATCH("PopReceiptMismatch", 400,
      "The specified pop receipt did not match the pop receipt for a dequeued message."),
  MESSAGE_TOO_LARGE("MessageTooLarge", 400, "The message exceeds the maximum allowed size."),
  MISSING_REQUIRED_QUERY_PARAMETER("MissingRequiredQueryParameter", 400,
      "A query parameter that's mandatory for this request is not specified."),
  // ---- Table service (docs/table-query.md lists where each code comes from)
  TABLE_NOT_FOUND("TableNotFound", 404, "The table specified does not exist."),
  TABLE_ALREADY_EXISTS("TableAlreadyExists", 409, "The table specified already exists."),
  /** Azure answers 409 TableBeingDeleted for a while after a delete; we never do (deletes are immediate). */
  ENTITY_ALREADY_EXISTS("EntityAlreadyExists", 409, "The specified entity already exists."),
  UPDATE_CONDITION_NOT_SATISFIED(
      "UpdateConditionNotSatisfied", 412, "The update condition specified in the request was not satisfied."),
  INVALID_INPUT("InvalidInput", 400, "One of the request inputs is not valid."),
  /** $batch: operations on more than one table or PartitionKey (the message is the batch's). */
  COMMANDS_IN_BATCH_ACT_ON_DIFFERENT_PARTITIONS("CommandsInBatchActOnDifferentPartitions", 400,
      "All commands in a batch must operate on same entity group."),
  /** $batch: one entity twice. */
  INVALID_DUPLICATE_ROW("InvalidDuplicateRow", 400,
      "The batch request contains multiple changes with same row key. An entity can appear only once in a batch request."),
  DUPLICATE_PROPERTIES_SPECIFIED(
      "DuplicatePropertiesSpecified", 400, "A property is specified more than one time."),
  ENTITY_TOO_LARGE("EntityTooLarge", 400, "The entity is larger than the maximum size permitted."),
  KEY_VALUE_TOO_LARGE("KeyValueTooLarge", 400, "The size of the key value exceeds the maximum size permitted."),
  OUT_OF_RANGE_INPUT("OutOfRangeInput", 400, "One of the request inputs is out of range."),
  PROPERTIES_NEED_VALUE("PropertiesNeedValue", 400, "Values have not been specified for all properties in the entity."),
  PROPERTY_NAME_INVALID("PropertyNameInvalid", 400, "The property name is invalid."),
  PROPERTY_NAME_TOO_LONG("PropertyNameTooLong", 400, "The property name exceeds the maximum allowed length."),
  PROPERTY_VALUE_TOO_LARGE("PropertyValueTooLarge", 400, "The property value exceeds the maximum allowed size."),
  TOO_MANY_PROPERTIES("TooManyProperties", 400, "The entity contains more properties than allowed."),
  /** A Table request with a body that is not JSON (Atom/XML payloads are not supported). */
  JSON_FORMAT_NOT_SUPPORTED(
      "JsonFormatNotSupported", 415, "JSON format is not supported."),
  INVALID_RESOURCE_NAME(
      "InvalidResourceName", 400, "The specifed resource name contains invalid characters."),
  INVALID_URI("InvalidUri", 400, "The requested URI does not represent any resource on the server."),
  INVALID_QUERY_PARAMETER_VALUE(
      "InvalidQueryParameterValue",
      400,
      "Value for one of the query parameters specified in the request URI is invalid."),
  OUT_OF_RANGE_QUERY_PARAMETER_VALUE(
      "OutOfRangeQueryParameterValue",
      400,
      "One of the query parameters specified in the request URI is outside the permissible range."),
  MISSING_REQUIRED_HEADER(
      "MissingRequiredHeader", 400, "An HTTP header that's mandatory for this request is not specified."),
  INVALID_HEADER_VALUE(
      "InvalidHeaderValue", 400, "The value for one of the HTTP headers is not in the correct format."),
  UNSUPPORTED_HEADER("UnsupportedHeader", 400, "One of the HTTP headers specified in the request is not supported."),
  MD5_MISMATCH(
      "Md5Mismatch",
      400,
      "The MD5 value specified in the request did not match with the MD5 value calculated by the server."),
  CRC64_MISMATCH(
      "Crc64Mismatch",
      400,
      "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server."),
  REQUEST_BODY_TOO_LARGE(
      "RequestBodyTooLarge",
      413,
      "The request body is too large and exceeds the maximum permissible limit."),
  INVALID_RANGE(
      "InvalidRange", 416, "The range specified is invalid for the current size of the resource."),
  UNSUPPORTED_HTTP_VERB(
      "UnsupportedHttpVerb", 405, "The resource doesn't support the specified HTTP verb."),
  NOT_IMPLEMENTED(
      "NotImplemented", 501, "The requested operation is not implemented on the specified resource."),
  SERVER_BUSY(
      "ServerBusy", 503, "The server is currently unable to receive requests. Please retry your request."),
  INTERNAL_ERROR(
      "InternalError", 500, "Server encountered an internal error. Please try again after some time."),
  /** The account's (or scope's) key is disabled, destroyed, deleted, retired or unknown: revoked. */
  KEY_VAULT_ENCRYPTION_KEY_NOT_FOUND(
      "KeyVaultEncryptionKeyNotFound", 403, "The key vault key is not found to unwrap the encryption key."),
  /** The kms-agent's policy does not let the gateway use the key (access to the key revoked). */
  KEY_VAULT_ACCESS_TOKEN_CANNOT_BE_ACQUIRED(
      "KeyVaultAccessTokenCannotBeAcquired",
      403,
      "The key vault access token cannot be acquired with this resource's identity."),
  CONDITION_NOT_MET(
      "ConditionNotMet", 412, "The condition specified using HTTP conditional header(s) is not met."),
  // Copy Blob, Copy Blob From URL, Put Blob From URL (ADR 0019): a source that cannot be read is
  // CannotVerifyCopySource with the status the source read got.
  CANNOT_VERIFY_COPY_SOURCE("CannotVerifyCopySource", 404, "The specified resource does not exist."),
  CANNOT_VERIFY_COPY_SOURCE_FORBIDDEN(
      "CannotVerifyCopySource", 403, "This request is not authorized to perform this operation."),
  CANNOT_VERIFY_COPY_SOURCE_UNAUTHORIZED(
      "CannotVerifyCopySource", 401,
      "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."),
  CANNOT_VERIFY_COPY_SOURCE_INVALID("CannotVerifyCopySource", 400, "Could not verify the copy source."),
  SOURCE_CONDITION_NOT_MET(
      "SourceConditionNotMet", 412, "The source condition specified using HTTP conditional header(s) is not met."),
  NO_PENDING_COPY_OPERATION("NoPendingCopyOperation", 409, "There is currently no pending copy operation."),
  BLOB_ALREADY_EXISTS("BlobAlreadyExists", 409, "The specified blob already exists."),
  INVALID_BLOB_OR_BLOCK("InvalidBlobOrBlock", 400, "The specified blob or block content is invalid."),
  INVALID_BLOCK_LIST("InvalidBlockList", 400, "The specified block list is invalid."),
  BLOCK_LIST_TOO_LONG("BlockListTooLong", 400, "The block list may not contain more than 50,000 blocks."),
  BLOCK_COUNT_EXCEEDS_LIMIT(
      "BlockCountExceedsLimit", 409, "The uncommitted block count cannot exceed the maximum limit of 100,000 blocks."),
  INVALID_XML_DOCUMENT("InvalidXmlDocument", 400, "XML specified is not syntactically valid."),
  // Append blobs (ADR 0017).
  APPEND_POSITION_CONDITION_NOT_MET(
      "AppendPositionConditionNotMet", 412, "The append position condition specified was not met."),
  MAX_BLOB_SIZE_CONDITION_NOT_MET(
      "MaxBlobSizeConditionNotMet", 412, "The max blob size condition specified was not met."),
  BLOB_IS_SEALED("BlobIsSealed", 409, "The blob is sealed and its contents cannot be modified."),
  /** A request without Content-Length where Azure requires one (Append Block). */
  MISSING_CONTENT_LENGTH_HEADER(
      "MissingContentLengthHeader", 411, "Content-Length header value must be specified."),
  /** Blob index tags (ADR 0018): a key or value breaks Azure's length or character rules, or a key repeats. */
  INVALID_TAG("InvalidTag", 400, "The tags specified are invalid. It contains characters that are not permitted."),
  /** Blob index tags: more than 10. */
  TAGS_TOO_LARGE("TagsTooLarge", 400, "The tags specified exceed the maximum permissible limit."),
  CORS_PREFLIGHT_FAILURE(
      "CorsPreflightFailure", 403, "CORS not enabled or no matching rule found for this request.");

  private final String code;
  private final int status;
  private final String message;

  AzureError(String code, int status, String message) {
    this.code = code;
    this.status = status;
    this.message = message;
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  public String message() {
    return message;
  }

  /**
   * The catalogue entry of a Table input error code ({@code TableInputException.code()}); InvalidInput
   * for a code the catalogue does not know.
   */
  public static AzureError ofTableInputCode(String code) {
    for (AzureError e : values()) {
      if (e.status == 400 && e.code.equals(code)) {
        return e;
      }
    }
    return INVALID_INPUT;
  }

  /** An exception carrying this error (no stack trace), optionally with extra XML detail elements. */
  public AzureException exception() {
    return new AzureException(this, null, null);
  }

  /** As {@link #exception()}, with a message that replaces the catalogue's (e.g. naming the source IP). */
  public AzureException exceptionWithMessage(String message) {
    return new AzureException(this, null, message);
  }

  /** As {@link #exception()}, with detail elements (written in name order). */
  public AzureException exception(java.util.Map<String, String> details) {
    return new AzureException(this, details, null);
  }

  /** As {@link #exception()}, with one detail element, e.g. QueryParameterName. */
  public AzureException exception(String detailName, String detailValue) {
    return new AzureException(this, java.util.Map.of(detailName, detailValue), null);
  }
}
