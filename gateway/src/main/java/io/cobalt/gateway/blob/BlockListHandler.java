package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.encryption.CustomerKeyWrap;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CommitBlockList;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.GetBlockList;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.UncommittedBlock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Put Block, Put Block List and Get Block List. Each staged block is its own encrypted stream
 * under its own fresh DEK, sealed with a random object id of its own (the version that will commit
 * it does not exist yet); Put Block List assembles the chosen streams in order into a new version
 * whose manifest MAC (under {@code deks[0]}) fixes their order (DESIGN §5.2), and the partition
 * leader checks at its apply step that every chosen block is still there.
 */
final class BlockListHandler {
  /** Azure: at most 50,000 blocks in a block list. */
  static final int MAX_BLOCKS = 50_000;
  /** A block list of 50,000 base64 ids of 64 bytes with their tags stays under this. */
  static final int MAX_BLOCK_LIST_BODY_BYTES = 8 * 1024 * 1024;
  static final int MAX_BLOCK_ID_BYTES = 64;

  private final BlobServices services;
  private final IndexTags tags;

  BlockListHandler(BlobServices services) {
    this.services = services;
    this.tags = new IndexTags(services);
  }

  /** PUT ?comp=block&blockid=... → 201. */
  Future<Void> putBlock(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    ByteString blockId = blockIdParam(r);
    long declared = PutBlobHandler.declaredLength(r, services.maxBlockBytes());
    StreamWriter.Expected expected = StreamWriter.Expected.of(r);
    String leaseHeader = r.header("x-ms-lease-id");
    String leaseId = leaseHeader == null ? null : ConditionalHeaders.leaseId(leaseHeader, "x-ms-lease-id");
    // Checked here (no data is written for a refused request) and again at the apply step, where
    // a lease acquired in between wins (ADR 0015).
    Condition.Builder leaseBuilder = Condition.newBuilder().setNowEpochMillis(r.received().toEpochMilli());
    if (leaseId != null) {
      leaseBuilder.setLeaseId(leaseId);
    }
    Condition leaseCondition = leaseBuilder.build();
    CustomerKey cpk = BlobEncryption.customerKey(r, true);
    return BlobEncryption.closing(cpk, services.requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob()).map(blob -> {
          if (blob != null && AppendBlobHandler.isAppendBlob(blob)) {
            throw AzureError.INVALID_BLOB_TYPE.exception(); // checked again at the apply step
          }
          LeaseHandler.requireWriteLease(leaseId, blob, r.received().toEpochMilli());
          return container;
        }))
        .compose(container -> BlobScopes.forWrite(services, r, container, cpk).compose(scope ->
        BlobEncryption.generate(services, r, container.getContainerId().toByteArray(), r.path().blob(), cpk, scope.keyId())
            .compose(key -> {
              byte[] objectId = services.cipher().newId();
              return new StreamWriter(services, r, key.dek(), objectId, declared, services.maxBlockBytes(), expected)
                  .run()
                  .compose(written -> {
                    UncommittedBlock block = UncommittedBlock.newBuilder()
                        .setBlockId(blockId)
                        .setStream(written.stream().toBuilder()
                            .setObjectId(ByteString.copyFrom(objectId))
                            .setBlockId(blockId))
                        .setDek(key.wrapped())
                        .setStagedEpochMillis(services.clock().millis())
                        .setEncryptionScope(scope.name())
                        .build();
                    MetadataCommand command = MetadataCommand.newBuilder()
                        .setPartition(services.blobPartition(container, r.path().blob()))
                        .setRequestId(r.requestId())
                        .setStageBlock(StageBlock.newBuilder()
                            .setAccount(container.getAccount())
                            .setContainerId(container.getContainerId())
                            .setName(r.path().blob())
                            .setBlock(block)
                            .setCondition(leaseCondition))
                        .build();
                    return services.metadata().submit(r.context(), command).map(result -> {
                      services.requireWritten(r, result.getStatus());
                      var resp = r.response(201)
                          .putHeader("Content-MD5", Base64.getEncoder().encodeToString(written.md5()))
                          .putHeader("x-ms-request-server-encrypted", "true")
                          .putHeader("Content-Length", "0");
                      BlobEncryption.putWriteHeaders(resp, cpk, scope.name());
                      if (written.crc64() != null) {
                        resp.putHeader("x-ms-content-crc64", Base64.getEncoder().encodeToString(written.crc64()));
                      }
                      resp.end();
                      return (Void) null;
                    });
                  })
                  .eventually(() -> {
                    key.close();
                    return Future.succeededFuture();
                  });
            }))));
  }

  /** Which list a block list entry names. */
  private enum ListKind { COMMITTED, UNCOMMITTED, LATEST }

  private record Entry(ListKind kind, ByteString id) {}

  /** PUT ?comp=blocklist → 201 with the new version's ETag. */
  Future<Void> putBlockList(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    byte[] contentMd5 = BlobHeaders.blobContentMd5(r);
    StreamWriter.Expected bodyDigests = StreamWriter.Expected.of(r); // of the block list itself
    Condition requested = services.writeCondition(r);
    BlobTags blobTags = BlobTags.fromHeader(r.header("x-ms-tags"));
    TagExpression ifTags = IndexTags.ifTags(r);
    CustomerKey cpk = BlobEncryption.customerKey(r, true);
    return BlobEncryption.closing(cpk, services.requireContainer(r)
        .compose(container -> PutBlobHandler.mayWrite(services, r, container))
        .compose(container -> BlobScopes.forWrite(services, r, container, cpk).compose(scope ->
            readBody(r).compose(body -> {
              bodyDigests.check(body.getBytes());
              List<Entry> entries = parse(body);
              Encryption enc = new Encryption(cpk, scope);
              return tags.forWrite(r, container, ifTags, requested).compose(condition -> resolveAndCommit(
                  r, container, entries, metadata, contentMd5, condition, enc, blobTags, RESOLVE_ATTEMPTS));
            }))));
  }

  /** The customer key and scope of a Put Block List, which every chosen block must have been staged under. */
  private record Encryption(CustomerKey cpk, BlobScopes.Scope scope) {}

  /**
   * How often a block list is resolved against a fresh read when the node finds that a block it
   * named changed between the read and the commit (re-staged, or its DEK rewrapped by the rewrap
   * job, ADR 0013). A list that is invalid against the state read fails at once, without a retry.
   */
  static final int RESOLVE_ATTEMPTS = 3;

  private Future<Void> resolveAndCommit(
      AzureRequest r, ContainerRecord container, List<Entry> entries, Map<String, String> metadata,
      byte[] contentMd5, Condition condition, Encryption enc, BlobTags blobTags, int attempts) {
    Set<ByteString> wanted = new LinkedHashSet<>();
    for (Entry e : entries) {
      if (e.kind() != ListKind.COMMITTED) {
        wanted.add(e.id());
      }
    }
    int partition = services.blobPartition(container, r.path().blob());
    MetadataQuery query = MetadataQuery.newBuilder()
        .setPartition(partition)
        .setGetBlockList(GetBlockList.newBuilder()
            .setAccount(container.getAccount())
            .setContainerId(container.getContainerId())
            .setName(r.path().blob())
            .addAllBlockIds(wanted.isEmpty() ? List.of(ByteString.EMPTY) : wanted))
        .build();
    if (wanted.isEmpty()) {
      // An empty filter means "all"; ask for one id that cannot exist instead.
      query = query.toBuilder().setGetBlockList(query.getGetBlockList().toBuilder().clearBlockIds()
          .addBlockIds(ByteString.copyFrom(new byte[MAX_BLOCK_ID_BYTES + 1]))).build();
    }
    return services.metadata().query(r.context(), partition, query).compose(state -> {
      BlobRecord current = state.getBlobsCount() == 0 ? null : state.getBlobs(0);
      if (current != null && AppendBlobHandler.isAppendBlob(current)) {
        throw AzureError.INVALID_BLOB_TYPE.exception(); // checked again at the apply step
      }
      BlobRecord unsigned = assemble(r, container, current, state, entries, metadata, contentMd5, enc);
      byte[] containerId = container.getContainerId().toByteArray();
      Future<BlobRecord> signed = unsigned.getDeksCount() > 0
          ? BlobEncryption.unwrap(services, r, containerId, r.path().blob(), unsigned.getDeks(0), enc.cpk())
              .compose(dek -> sealAndSign(r, unsigned, dek, blobTags))
          // An empty block list (an empty blob) has no block key: a fresh one MACs the manifest.
          : BlobEncryption.generate(services, r, containerId, r.path().blob(), enc.cpk(), enc.scope().keyId())
              .compose(g -> sealAndSign(r, unsigned.toBuilder().addDeks(g.wrapped()).build(), g.dek(), blobTags));
      return signed.compose(record -> {
        MetadataCommand command = MetadataCommand.newBuilder()
            .setPartition(partition)
            .setRequestId(r.requestId())
            .setCommitBlockList(CommitBlockList.newBuilder().setBlob(record).setCondition(condition))
            .build();
        return services.metadata().submit(r.context(), command).compose(result -> {
          if (result.getStatus() == CommandStatus.INVALID_BLOCK_LIST && attempts > 1) {
            return resolveAndCommit(r, container, entries, metadata, contentMd5, condition, enc, blobTags, attempts - 1);
          }
          services.requireWritten(r, result.getStatus());
          var resp = r.response(201)
              .putHeader("ETag", record.getEtag())
              .putHeader("Last-Modified", HttpDates.rfc1123(record.getLastModifiedEpochMillis()))
              .putHeader("x-ms-request-server-encrypted", "true")
              .putHeader("Content-Length", "0");
          BlobEncryption.putWriteHeaders(resp, enc.cpk(), enc.scope().name());
          resp.end();
          return Future.<Void>succeededFuture();
        });
      });
    });
  }

  /**
   * The record with its tags sealed and its manifest MAC under {@code dek} (= deks[0]); closes the
   * key. A customer-key blob's tags are sealed under a tags DEK of the account's key instead (ADR 0018 §6).
   */
  private Future<BlobRecord> sealAndSign(AzureRequest r, BlobRecord unsigned, DataKey dek, BlobTags blobTags) {
    Future<IndexTags.Sealed> sealing = unsigned.getEncryptionKeySha256().isEmpty()
        ? tags.seal(dek, unsigned.getAccount(), unsigned.getContainerId(), unsigned.getName(),
            unsigned.getVersionId(), blobTags)
        : tags.sealUnderTagsDek(r, unsigned.getAccount(), unsigned.getContainerId(), unsigned.getName(),
            unsigned.getVersionId(), blobTags);
    return sealing
        .map(sealed -> sign(sealed.into(unsigned.toBuilder()).build(), dek))
        .onFailure(e -> dek.close());
  }

  /** The record with its manifest MAC under {@code dek} (= deks[0]); closes the key. */
  private static BlobRecord sign(BlobRecord unsigned, DataKey dek) {
    try {
      return unsigned.toBuilder().setManifestMac(ByteString.copyFrom(BlobCipher.manifestMac(dek, unsigned))).build();
    } finally {
      dek.close();
    }
  }

  /** The new version (without MAC) from the entries resolved against the state read. */
  private BlobRecord assemble(
      AzureRequest r, ContainerRecord container, BlobRecord current, QueryResult state, List<Entry> entries,
      Map<String, String> metadata, byte[] contentMd5, Encryption enc) {
    Map<ByteString, UncommittedBlock> staged = new HashMap<>();
    for (UncommittedBlock u : state.getUncommittedBlocksList()) {
      staged.put(u.getBlockId(), u);
    }
    Map<ByteString, StreamRef> committed = new HashMap<>();
    if (current != null) {
      for (StreamRef s : current.getStreamsList()) {
        if (!s.getBlockId().isEmpty()) {
          committed.put(s.getBlockId(), s);
        }
      }
    }
    List<WrappedKey> deks = new ArrayList<>();
    Map<WrappedKey, Integer> dekIndex = new HashMap<>();
    BlobRecord.Builder b = BlobHeaders.contentProperties(BlobRecord.newBuilder(), r);
    long length = 0;
    for (Entry e : entries) {
      StreamRef stream;
      WrappedKey dek;
      String dekScope;
      UncommittedBlock u = e.kind() == ListKind.COMMITTED ? null : staged.get(e.id());
      StreamRef c = e.kind() == ListKind.UNCOMMITTED ? null : committed.get(e.id());
      if (u != null) {
        stream = u.getStream();
        dek = u.getDek();
        dekScope = u.getEncryptionScope();
      } else if (c != null) {
        stream = c;
        dek = current.getDeks(c.getDekIndex());
        dekScope = current.getEncryptionScope();
      } else {
        throw AzureError.INVALID_BLOCK_LIST.exception();
      }
      requireSameEncryption(dek, dekScope, enc);
      int index = dekIndex.computeIfAbsent(dek, k -> {
        deks.add(k);
        return deks.size() - 1;
      });
      b.addStreams(stream.toBuilder().setDekIndex(index).setBlockId(e.id()));
      length += stream.getPlaintextLength();
    }
    long now = services.clock().millis();
    return b.setAccount(container.getAccount())
        .setContainer(container.getName())
        .setContainerId(container.getContainerId())
        .setName(r.path().blob())
        .setObjectId(current != null ? current.getObjectId() : ByteString.copyFrom(services.cipher().newId()))
        .setVersionId(ByteString.copyFrom(services.cipher().newId()))
        .setContentLength(length)
        .setContentMd5(contentMd5 == null ? ByteString.EMPTY : ByteString.copyFrom(contentMd5))
        .setEtag(services.newEtag())
        .setCreatedEpochMillis(current != null ? current.getCreatedEpochMillis() : now)
        .setLastModifiedEpochMillis(now)
        .putAllMetadata(metadata)
        .addAllDeks(deks)
        .setBlobType("BlockBlob")
        .setEncryptionKeySha256(enc.cpk() == null ? ByteString.EMPTY : ByteString.copyFrom(enc.cpk().sha256()))
        .setEncryptionScope(enc.scope().name())
        .build();
  }

  /**
   * A block goes into a version only under the encryption the commit names (ADR 0023): with a
   * customer key, blocks staged under that key (409 BlobCustomerSpecifiedEncryptionMismatch
   * otherwise); without one, no block staged under a key (409 BlobUsesCustomerSpecifiedEncryption);
   * and blocks of the commit's scope (409 BlobCustomerSpecifiedEncryptionMismatch otherwise). The
   * block's scope is the one recorded with it, not read from its DEK's key id: with a customer-managed
   * key source (ADR 0031) a scope's DEKs are wrapped under a {@code cmk/...} key.
   */
  private static void requireSameEncryption(WrappedKey dek, String dekScope, Encryption enc) {
    boolean customer = CustomerKeyWrap.isCustomerWrapped(dek);
    if (enc.cpk() != null) {
      if (!customer || !enc.cpk().matches(dek.getCpkKeySha256().toByteArray())) {
        throw AzureError.BLOB_CUSTOMER_SPECIFIED_ENCRYPTION_MISMATCH.exception();
      }
      return;
    }
    if (customer) {
      throw AzureError.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION.exception();
    }
    if (!dekScope.equals(enc.scope().name())) {
      throw AzureError.BLOB_CUSTOMER_SPECIFIED_ENCRYPTION_MISMATCH.exception();
    }
  }

  /**
   * GET ?comp=blocklist&blocklisttype=committed|uncommitted|all → BlockList XML. With
   * {@code snapshot=}, the snapshot's committed blocks (ADR 0022: a snapshot copies the committed
   * manifest, block ids included) and no uncommitted ones; an unknown snapshot → 404 BlobNotFound.
   */
  Future<Void> getBlockList(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    String type = r.queryParam("blocklisttype");
    type = type == null ? "committed" : type.toLowerCase(java.util.Locale.ROOT);
    if (!type.equals("committed") && !type.equals("uncommitted") && !type.equals("all")) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "blocklisttype");
    }
    boolean withCommitted = !type.equals("uncommitted");
    boolean withUncommitted = !type.equals("committed");
    Condition condition = ConditionalHeaders.of(r);
    String snapshot = SnapshotHandler.snapshotParam(r);
    return services.requireContainer(r).compose(container -> {
      int partition = services.blobPartition(container, r.path().blob());
      GetBlockList.Builder get = GetBlockList.newBuilder()
          .setAccount(container.getAccount())
          .setContainerId(container.getContainerId())
          .setName(r.path().blob())
          .setSizesOnly(true);
      if (snapshot != null) {
        get.setSnapshot(snapshot); // the snapshot's committed blocks; it has no uncommitted ones
      }
      MetadataQuery query = MetadataQuery.newBuilder().setPartition(partition).setGetBlockList(get).build();
      return services.metadata().query(r.context(), partition, query);
    }).map(state -> {
      BlobRecord blob = state.getBlobsCount() == 0 ? null : state.getBlobs(0);
      if (blob == null && state.getUncommittedBlocksCount() == 0) {
        throw AzureError.BLOB_NOT_FOUND.exception();
      }
      if (blob != null && AppendBlobHandler.isAppendBlob(blob)) {
        throw AzureError.INVALID_BLOB_TYPE.exception();
      }
      if (blob != null && ConditionalHeaders.read(condition, blob.getEtag(), blob.getLastModifiedEpochMillis())
          == ConditionalHeaders.ReadOutcome.NOT_MODIFIED) {
        ConditionalHeaders.endNotModified(r, blob.getEtag(), blob.getLastModifiedEpochMillis());
        return null;
      }
      StringBuilder xml = new StringBuilder(256).append(Xml.DECLARATION).append("<BlockList>");
      if (withCommitted) {
        xml.append("<CommittedBlocks>");
        if (blob != null) {
          for (StreamRef s : blob.getStreamsList()) {
            if (!s.getBlockId().isEmpty()) {
              appendBlock(xml, s.getBlockId(), s.getPlaintextLength());
            }
          }
        }
        xml.append("</CommittedBlocks>");
      }
      if (withUncommitted) {
        xml.append("<UncommittedBlocks>");
        for (UncommittedBlock u : state.getUncommittedBlocksList()) {
          appendBlock(xml, u.getBlockId(), u.getStream().getPlaintextLength());
        }
        xml.append("</UncommittedBlocks>");
      }
      xml.append("</BlockList>");
      Buffer body = Buffer.buffer(xml.toString());
      var resp = r.response(200)
          .putHeader("Content-Type", "application/xml")
          .putHeader("Content-Length", Integer.toString(body.length()))
          .putHeader("x-ms-blob-content-length", Long.toString(blob == null ? 0 : blob.getContentLength()));
      if (blob != null) {
        resp.putHeader("ETag", blob.getEtag())
            .putHeader("Last-Modified", HttpDates.rfc1123(blob.getLastModifiedEpochMillis()));
      }
      resp.end(body);
      return null;
    });
  }

  private static void appendBlock(StringBuilder xml, ByteString id, long size) {
    xml.append("<Block>");
    Xml.element(xml, "Name", Base64.getEncoder().encodeToString(id.toByteArray()));
    Xml.element(xml, "Size", Long.toString(size));
    xml.append("</Block>");
  }

  /** The decoded {@code blockid}: base64, 1..64 bytes; 400 InvalidQueryParameterValue otherwise. */
  static ByteString blockIdParam(AzureRequest r) {
    String v = r.queryParam("blockid");
    if (v == null) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "blockid");
    }
    ByteString id = decodeBlockId(v);
    if (id == null) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "blockid");
    }
    return id;
  }

  private static ByteString decodeBlockId(String v) {
    try {
      byte[] b = Base64.getDecoder().decode(v.trim());
      return b.length == 0 || b.length > MAX_BLOCK_ID_BYTES ? null : ByteString.copyFrom(b);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private Future<Buffer> readBody(AzureRequest r) {
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer();
    var req = r.http();
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > MAX_BLOCK_LIST_BODY_BYTES) {
        done.tryFail(AzureError.REQUEST_BODY_TOO_LARGE.exception());
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> done.tryComplete(body));
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }

  /**
   * {@code <BlockList>} with {@code Committed}, {@code Uncommitted} and {@code Latest} children in
   * order. No DTDs or external entities. 400 InvalidXmlDocument for anything else, InvalidBlockList
   * for a bad id or ids of different lengths, BlockListTooLong beyond 50,000.
   */
  static List<Entry> parse(Buffer body) {
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    List<Entry> out = new ArrayList<>();
    int idLength = -1;
    try {
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(body.getBytes()));
      try {
        if (x.nextTag() != XMLStreamReader.START_ELEMENT || !x.getLocalName().equals("BlockList")) {
          throw AzureError.INVALID_XML_DOCUMENT.exception();
        }
        while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
          ListKind kind = switch (x.getLocalName()) {
            case "Committed" -> ListKind.COMMITTED;
            case "Uncommitted" -> ListKind.UNCOMMITTED;
            case "Latest" -> ListKind.LATEST;
            default -> throw AzureError.INVALID_XML_DOCUMENT.exception();
          };
          String text = x.getElementText();
          ByteString id = decodeBlockId(text);
          if (id == null || (idLength >= 0 && id.size() != idLength)) {
            throw AzureError.INVALID_BLOCK_LIST.exception();
          }
          idLength = id.size();
          if (out.size() == MAX_BLOCKS) {
            throw AzureError.BLOCK_LIST_TOO_LONG.exception();
          }
          out.add(new Entry(kind, id));
        }
        while (x.hasNext()) {
          x.next(); // trailing whitespace, comments; a second root element fails here
        }
      } finally {
        x.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof io.cobalt.gateway.http.AzureException ae) {
        throw ae;
      }
      throw AzureError.INVALID_XML_DOCUMENT.exception();
    }
    return out;
  }
}
