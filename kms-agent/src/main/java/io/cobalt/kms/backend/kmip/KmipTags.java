package io.cobalt.kms.backend.kmip;

/** The KMIP 1.4 tags and enumeration values this client uses (KMIP 1.4 §9.1.3). */
final class KmipTags {
  private KmipTags() {}

  static final int ATTRIBUTE = 0x420008;
  static final int ATTRIBUTE_NAME = 0x42000A;
  static final int ATTRIBUTE_VALUE = 0x42000B;
  static final int BATCH_COUNT = 0x42000D;
  static final int BATCH_ITEM = 0x42000F;
  static final int BLOCK_CIPHER_MODE = 0x420011;
  static final int CRYPTOGRAPHIC_ALGORITHM = 0x420028;
  static final int CRYPTOGRAPHIC_LENGTH = 0x42002A;
  static final int CRYPTOGRAPHIC_PARAMETERS = 0x42002B;
  static final int CRYPTOGRAPHIC_USAGE_MASK = 0x42002C;
  static final int IV_COUNTER_NONCE = 0x42003D;
  static final int MAXIMUM_RESPONSE_SIZE = 0x420050;
  static final int NAME = 0x420053;
  static final int NAME_TYPE = 0x420054;
  static final int NAME_VALUE = 0x420055;
  static final int OBJECT_TYPE = 0x420057;
  static final int OPERATION = 0x42005C;
  static final int PROTOCOL_VERSION = 0x420069;
  static final int PROTOCOL_VERSION_MAJOR = 0x42006A;
  static final int PROTOCOL_VERSION_MINOR = 0x42006B;
  static final int REQUEST_HEADER = 0x420077;
  static final int REQUEST_MESSAGE = 0x420078;
  static final int REQUEST_PAYLOAD = 0x420079;
  static final int RESPONSE_HEADER = 0x42007A;
  static final int RESPONSE_MESSAGE = 0x42007B;
  static final int RESPONSE_PAYLOAD = 0x42007C;
  static final int RESULT_MESSAGE = 0x42007D;
  static final int RESULT_REASON = 0x42007E;
  static final int RESULT_STATUS = 0x42007F;
  static final int REVOCATION_REASON = 0x420081;
  static final int REVOCATION_REASON_CODE = 0x420082;
  static final int STATE = 0x42008D;
  static final int TEMPLATE_ATTRIBUTE = 0x420091;
  static final int UNIQUE_IDENTIFIER = 0x420094;
  static final int DATA = 0x4200C2;
  static final int TAG_LENGTH = 0x4200CE;
  static final int AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA = 0x4200FE;
  static final int AUTHENTICATED_ENCRYPTION_TAG = 0x4200FF;

  // Operation
  static final int OP_CREATE = 0x01;
  static final int OP_GET_ATTRIBUTES = 0x0B;
  static final int OP_ACTIVATE = 0x12;
  static final int OP_REVOKE = 0x13;
  static final int OP_DESTROY = 0x14;
  static final int OP_ENCRYPT = 0x1F;
  static final int OP_DECRYPT = 0x20;

  // Object Type, Cryptographic Algorithm, Block Cipher Mode, Name Type, Usage Mask, Revocation Reason Code
  static final int OBJECT_SYMMETRIC_KEY = 0x02;
  static final int ALGORITHM_AES = 0x03;
  static final int MODE_GCM = 0x09;
  static final int NAME_UNINTERPRETED_TEXT = 0x01;
  static final int USAGE_ENCRYPT = 0x04;
  static final int USAGE_DECRYPT = 0x08;
  static final int REVOCATION_CESSATION_OF_OPERATION = 0x06;

  // Result Status and Result Reason
  static final int STATUS_SUCCESS = 0x00;
  static final int REASON_ITEM_NOT_FOUND = 0x01;
  static final int REASON_CRYPTOGRAPHIC_FAILURE = 0x0A;
  static final int REASON_PERMISSION_DENIED = 0x0C;
  static final int REASON_GENERAL_FAILURE = 0x100;
  static final int STATE_ACTIVE = 0x02;
}
