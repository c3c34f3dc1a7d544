package io.cobalt.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import com.azure.storage.common.sas.SasIpRange;
import com.azure.storage.common.sas.SasProtocol;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Our SAS strings-to-sign against the ones the SDK signs (its debugging hook), every field set. */
class SasStringToSignTest {
  static final String ACCOUNT = "devstoreaccount1";
  static final String KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  static final OffsetDateTime START = OffsetDateTime.of(2030, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);

  static BlobServiceClient client(String scope) {
    BlobServiceClientBuilder b = new BlobServiceClientBuilder()
        .endpoint("http://127.0.0.1:1/" + ACCOUNT)
        .credential(new StorageSharedKeyCredential(ACCOUNT, KEY));
    if (scope != null) {
      b.encryptionScope(scope);
    }
    return b.buildClient();
  }

  static SasToken parse(String sas) {
    Map<String, String> q = new HashMap<>();
    for (String kv : sas.split("&")) {
      int eq = kv.indexOf('=');
      q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return new SasToken(q.get("sig"), q.get("sv"), q.get("sr"), q.get("ss"), q.get("srt"), q.get("sp"), q.get("st"),
        q.get("se"), q.get("si"), q.get("sip"), q.get("spr"), q.get("ses"), q.get("rscc"), q.get("rscd"),
        q.get("rsce"), q.get("rscl"), q.get("rsct"), false);
  }

  @Test
  void matchesTheSdksServiceSasForABlobWithEveryFieldAndAnEncryptionScope() {
    AtomicReference<String> sdk = new AtomicReference<>();
    String sas = client("scope-1").getBlobContainerClient("box").getBlobClient("dir/ü blob.txt").generateSas(
        new BlobServiceSasSignatureValues(START.plusDays(1), BlobSasPermission.parse("racwd"))
            .setStartTime(START)
            .setSasIpRange(SasIpRange.parse("10.0.0.1-10.0.0.9"))
            .setProtocol(SasProtocol.HTTPS_HTTP)
            .setCacheControl("no-cache")
            .setContentDisposition("inline")
            .setContentEncoding("gzip")
            .setContentLanguage("en")
            .setContentType("text/plain"),
        sdk::set, Context.NONE);
    SasToken t = parse(sas);
    assertEquals(sdk.get(), SasStringToSign.service(t, "/blob/" + ACCOUNT + "/box/dir/ü blob.txt", ""));
  }

  @Test
  void matchesTheSdksContainerSasWithoutOptionalFields() {
    AtomicReference<String> sdk = new AtomicReference<>();
    String sas = client(null).getBlobContainerClient("box").generateSas(
        new BlobServiceSasSignatureValues(START, BlobSasPermission.parse("r")), sdk::set, Context.NONE);
    assertEquals(sdk.get(), SasStringToSign.service(parse(sas), "/blob/" + ACCOUNT + "/box", ""));
  }

  @Test
  void matchesTheSdksAccountSasWithItsTrailingNewline() {
    AtomicReference<String> sdk = new AtomicReference<>();
    String sas = client(null).generateAccountSas(
        new AccountSasSignatureValues(START.plusDays(1), AccountSasPermission.parse("rwdlac"),
            AccountSasService.parse("bq"), AccountSasResourceType.parse("sco"))
            .setStartTime(START)
            .setSasIpRange(SasIpRange.parse("10.0.0.1"))
            .setProtocol(SasProtocol.HTTPS_ONLY)
            .setEncryptionScope("scope-2"),
        sdk::set, Context.NONE);
    String ours = SasStringToSign.account(parse(sas), ACCOUNT);
    assertEquals(sdk.get(), ours);
    assertEquals('\n', ours.charAt(ours.length() - 1));
  }
}
