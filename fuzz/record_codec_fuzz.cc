// Fuzzes the cache's value decoders (cache/record_codec.h) with arbitrary
// Redis values. A value that decodes is re-encoded and decoded again: the
// record (or store config) must come back equal, the unknown fields kept,
// and encoding is a fixed point (Encode(Decode(Encode(x))) == Encode(x)).
// Values are never trusted to be well-formed: a decoder may fail (DataLoss)
// but never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cache/record_codec.h"
#include "core/record.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"

namespace availability::cache {
namespace {

constexpr int32_t kStockId = 7;
constexpr absl::string_view kSku = "24-MB01";

void CheckRecord(absl::string_view value) {
  std::string unknown;
  absl::StatusOr<core::Record> record =
      DecodeRecord(value, kStockId, kSku, &unknown);
  absl::StatusOr<int64_t> peeked = PeekRecordVersion(value);
  if (!record.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(record.status())) << record.status();
    return;
  }
  FUZZ_CHECK(peeked.ok() && *peeked == record->version) << peeked.status();
  FUZZ_CHECK(record->sku == kSku && record->stock_id == kStockId);

  const std::string encoded = EncodeRecord(*record, unknown);
  std::string unknown_again;
  absl::StatusOr<core::Record> again =
      DecodeRecord(encoded, kStockId, kSku, &unknown_again);
  FUZZ_CHECK(again.ok()) << "re-encoded record does not decode: "
                         << again.status();
  FUZZ_CHECK(*again == *record) << "record changed by Encode -> Decode";
  FUZZ_CHECK(unknown_again == unknown) << "unknown fields changed";
  FUZZ_CHECK(EncodeRecord(*again, unknown_again) == encoded)
      << "EncodeRecord is not a fixed point";
}

void CheckStoreConfig(absl::string_view value) {
  absl::StatusOr<core::StoreConfig> config = DecodeStoreConfig(value, kStockId);
  if (!config.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(config.status())) << config.status();
    return;
  }
  FUZZ_CHECK(config->stock_id == kStockId);
  const std::string encoded = EncodeStoreConfig(*config);
  absl::StatusOr<core::StoreConfig> again =
      DecodeStoreConfig(encoded, kStockId);
  FUZZ_CHECK(again.ok()) << "re-encoded config does not decode: "
                         << again.status();
  FUZZ_CHECK(*again == *config) << "config changed by Encode -> Decode";
  FUZZ_CHECK(EncodeStoreConfig(*again) == encoded)
      << "EncodeStoreConfig is not a fixed point";
}

}  // namespace
}  // namespace availability::cache

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every string field with invalid UTF-8; that is an expected
  // DataLoss here, not worth a line per input.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view value(reinterpret_cast<const char*>(data), size);
  availability::cache::CheckRecord(value);
  availability::cache::CheckStoreConfig(value);
  return 0;
}
