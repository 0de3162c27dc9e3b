#include "server/wire_check.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/wire_format_lite.h"

namespace availability::server {
namespace {

namespace pb = ::google::protobuf;
using WireFormatLite = pb::internal::WireFormatLite;

// protobuf's default recursion limit (io::CodedInputStream): nested
// messages and groups together.
constexpr int kMaxDepth = 100;

// Reads wire-format primitives from `data`, with the limits of protobuf's
// parser (parse_context.h): tags and sizes of at most 5 bytes, other
// varints of at most 10.
class WireReader {
 public:
  explicit WireReader(absl::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  // The bytes read since `start`.
  absl::string_view Since(size_t start) const {
    return data_.substr(start, pos_ - start);
  }

  bool ReadVarint(uint64_t* value, int max_bytes = 10) {
    uint64_t result = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (pos_ >= data_.size()) return false;
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      result |= uint64_t{byte & 0x7fu} << (7 * i);
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  // A tag, truncated to 32 bits as protobuf does.
  bool ReadTag(uint32_t* tag) {
    uint64_t value;
    if (!ReadVarint(&value, 5)) return false;
    *tag = static_cast<uint32_t>(value);
    return true;
  }

  // A size-prefixed payload.
  bool ReadLengthDelimited(absl::string_view* payload) {
    uint64_t size;
    if (!ReadVarint(&size, 5) || size > data_.size() - pos_) return false;
    *payload = data_.substr(pos_, size);
    pos_ += size;
    return true;
  }

  bool Skip(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// protobuf refuses a proto3 string that is not valid UTF-8 (proto2 only
// logs it in debug builds).
bool MustBeUtf8(const pb::FieldDescriptor& field) {
  return field.type() == pb::FieldDescriptor::TYPE_STRING &&
         field.file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
}

// The payload of a packed repeated number field: whole varints, or whole
// fixed-size values.
bool IsWellFormedPacked(absl::string_view payload,
                        const pb::FieldDescriptor& field) {
  switch (WireFormatLite::WireTypeForFieldType(
      static_cast<WireFormatLite::FieldType>(field.type()))) {
    case WireFormatLite::WIRETYPE_VARINT: {
      WireReader in(payload);
      uint64_t unused;
      while (!in.AtEnd()) {
        if (!in.ReadVarint(&unused)) return false;
      }
      return true;
    }
    case WireFormatLite::WIRETYPE_FIXED64:
      return payload.size() % 8 == 0;
    case WireFormatLite::WIRETYPE_FIXED32:
      return payload.size() % 4 == 0;
    default:
      return false;
  }
}

class Walker {
 public:
  // Walks one message of `type` in `data`, appending its rebuilt bytes to
  // `out`. False when `data` is not such a message. `depth`: how many more
  // levels of nesting protobuf accepts below this one.
  bool WalkMessage(absl::string_view data, const pb::Descriptor& type,
                   int depth, std::string* out) {
    WireReader in(data);
    // Elements of each repeated field seen so far (their indices).
    absl::flat_hash_map<int, int> elements;
    while (!in.AtEnd()) {
      const size_t start = in.pos();
      uint32_t tag;
      if (!in.ReadTag(&tag)) return false;
      const int number = static_cast<int>(tag >> 3);
      const int wire_type = static_cast<int>(tag & 7);
      if (number == 0) return false;
      const pb::FieldDescriptor* field = type.FindFieldByNumber(number);
      if (field == nullptr ||
          wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
        // Unknown, or a known field with another wire type: protobuf keeps
        // it as an unknown field.
        if (!SkipField(in, number, wire_type, depth)) return false;
        absl::StrAppend(out, in.Since(start));
        continue;
      }
      const absl::string_view tag_bytes = in.Since(start);
      absl::string_view payload;
      if (!in.ReadLengthDelimited(&payload)) return false;
      const pb::FieldDescriptor::Type field_type = field->type();
      if (field_type == pb::FieldDescriptor::TYPE_STRING ||
          field_type == pb::FieldDescriptor::TYPE_MESSAGE) {
        const int index = field->is_repeated() ? elements[number]++ : -1;
        if (field_type == pb::FieldDescriptor::TYPE_STRING) {
          if (MustBeUtf8(*field) && !pb::internal::IsStructurallyValidUTF8(
                                        payload.data(), payload.size())) {
            InvalidUtf8Field found;
            found.path = path_;
            found.path.push_back({field, index});
            found_.push_back(std::move(found));
            absl::StrAppend(out, tag_bytes);
            out->push_back('\0');  // the same field, empty
            continue;
          }
        } else {
          if (depth == 0) return false;
          const size_t found_before = found_.size();
          std::string nested;
          path_.push_back({field, index});
          if (!WalkMessage(payload, *field->message_type(), depth - 1,
                           &nested)) {
            return false;
          }
          path_.pop_back();
          if (found_.size() != found_before) {
            absl::StrAppend(out, tag_bytes);
            AppendVarint(nested.size(), out);
            absl::StrAppend(out, nested);
            continue;
          }
        }
      } else if (field->is_packable() && !IsWellFormedPacked(payload, *field)) {
        return false;
      }
      absl::StrAppend(out, in.Since(start));
    }
    return true;
  }

  std::vector<InvalidUtf8Field> TakeFound() { return std::move(found_); }

 private:
  // Skips one field's value as protobuf's unknown-field parser does; a
  // group up to its matching END_GROUP.
  bool SkipField(WireReader& in, int number, int wire_type, int depth) {
    uint64_t unused;
    switch (wire_type) {
      case WireFormatLite::WIRETYPE_VARINT:
        return in.ReadVarint(&unused);
      case WireFormatLite::WIRETYPE_FIXED64:
        return in.Skip(8);
      case WireFormatLite::WIRETYPE_FIXED32:
        return in.Skip(4);
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
        absl::string_view payload;
        return in.ReadLengthDelimited(&payload);
      }
      case WireFormatLite::WIRETYPE_START_GROUP:
        if (depth == 0) return false;
        for (;;) {
          uint32_t tag;
          if (!in.ReadTag(&tag)) return false;
          const int inner_number = static_cast<int>(tag >> 3);
          const int inner_wire_type = static_cast<int>(tag & 7);
          if (inner_number == 0) return false;
          if (inner_wire_type == WireFormatLite::WIRETYPE_END_GROUP) {
            return inner_number == number;
          }
          if (!SkipField(in, inner_number, inner_wire_type, depth - 1)) {
            return false;
          }
        }
      default:  // END_GROUP outside its group, or wire types 6 and 7
        return false;
    }
  }

  std::vector<WireFieldStep> path_;
  std::vector<InvalidUtf8Field> found_;
};

}  // namespace

std::string InvalidUtf8Field::Path() const {
  std::string out;
  for (const WireFieldStep& step : path) {
    if (!out.empty()) out.push_back('.');
    out += step.field->name();
    if (step.index >= 0) absl::StrAppend(&out, "[", step.index, "]");
  }
  return out;
}

absl::StatusOr<WireCheck> CheckWireUtf8(absl::string_view bytes,
                                        const pb::Descriptor& type) {
  Walker walker;
  WireCheck check;
  check.repaired.reserve(bytes.size());
  if (!walker.WalkMessage(bytes, type, kMaxDepth, &check.repaired)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid ", type.full_name(), " message"));
  }
  check.invalid_utf8 = walker.TakeFound();
  return check;
}

}  // namespace availability::server
