// Encoding of core::Record and core::StoreConfig as Redis values, in the
// cache's own storage format (proto/availability/storage/v1/record.proto),
// never the public API messages.
//
// Value layout (fixed: the Lua write script reads the version without
// decoding the rest):
//   byte 0      kRecordFormatTag (0x01)
//   bytes 1..8  version, big-endian signed int64 (store config: 0)
//   bytes 9..   serialized availability.storage.v1.Record / StoreConfig
//
// The SKU and stock are not stored in the value (they are in the key): the
// decoder takes them from the caller, who built the key.
//
//   std::string v = EncodeRecord(record);
//   absl::StatusOr<core::Record> r = DecodeRecord(v, record.stock_id,
//                                                 record.sku);
//
// Forward compatibility: fields written by a newer version are ignored by
// DecodeRecord; a read-modify-write keeps them by passing the `unknown_fields`
// of DecodeRecord back into EncodeRecord (top-level fields only: an unknown
// field inside a receipt or an alternative is dropped).
//
// Plain functions; safe from any thread.
#ifndef AVAILABILITY_CACHE_RECORD_CODEC_H_
#define AVAILABILITY_CACHE_RECORD_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/record.h"

namespace availability::cache {

inline constexpr char kRecordFormatTag = 0x01;
// Tag + version.
inline constexpr size_t kRecordHeaderBytes = 9;

// Encodes `record` (its sku and stock_id are not stored). `unknown_fields`
// (from DecodeRecord) are appended verbatim.
std::string EncodeRecord(const core::Record& record,
                         absl::string_view unknown_fields = {});

// Decodes a value of EncodeRecord into a record of (stock_id, sku). When
// `unknown_fields` is not null it receives the wire bytes of the fields this
// version does not know (empty when none). Errors: DataLoss for a value that
// is not a record of this format (wrong tag, short header, malformed
// message, an enum value out of range).
absl::StatusOr<core::Record> DecodeRecord(
    absl::string_view value, int32_t stock_id, absl::string_view sku,
    std::string* unknown_fields = nullptr);

// The version in a value's header without decoding the message. Errors:
// DataLoss for a short value or a wrong tag.
absl::StatusOr<int64_t> PeekRecordVersion(absl::string_view value);

// Encodes `config` (its stock_id and the loaded time_zone are not stored;
// the zone's name is).
std::string EncodeStoreConfig(const core::StoreConfig& config);

// Decodes a value of EncodeStoreConfig for `stock_id`, loading the time zone
// by name. Errors: DataLoss for a malformed value, and for a time zone name
// that this process cannot load (a wrong local "today" would put wrong ship
// dates in front of customers; silently using UTC is worse than failing
// loudly, and names are validated when written).
absl::StatusOr<core::StoreConfig> DecodeStoreConfig(absl::string_view value,
                                                    int32_t stock_id);

// The configuration of a stock that has none stored: Magento's defaults
// (core::StoreConfig's), for `stock_id`.
core::StoreConfig DefaultStoreConfig(int32_t stock_id);

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_RECORD_CODEC_H_
