#include "client/import/fast_json.h"

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/descriptor.h"

#ifdef AV_HAVE_SIMDJSON
#include <simdjson.h>
#endif

namespace av::client {

#ifndef AV_HAVE_SIMDJSON

// Built without simdjson (the static build): every input goes to protobuf.
struct FastJsonParser::Impl {};
FastJsonParser::FastJsonParser() = default;
FastJsonParser::~FastJsonParser() = default;
bool FastJsonParser::Parse(absl::string_view,
                           google::protobuf::Message* message) {
  message->Clear();
  return false;
}

#else

namespace od = simdjson::ondemand;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

// Largest integer a double holds exactly, with all below it.
constexpr int64_t kMaxExactDouble = int64_t{1} << 53;

// The text of a JSON string starting at `p` (just after its opening quote)
// when it has no escape and no control character; false otherwise.
bool PlainString(const char* p, absl::string_view* out) {
  const char* q = p;
  for (;; ++q) {
    const auto c = static_cast<unsigned char>(*q);
    if (c == '"') break;
    if (c == '\\' || c < 0x20) return false;
  }
  *out = absl::string_view(p, static_cast<size_t>(q - p));
  return true;
}

bool GetPlainString(od::value& v, absl::string_view* out) {
  od::raw_json_string raw;
  if (v.get_raw_json_string().get(raw) != simdjson::SUCCESS) return false;
  return PlainString(raw.raw(), out);
}

bool GetInt64(od::value& v, int64_t* out) {
  od::number_type type;
  if (v.get_number_type().get(type) != simdjson::SUCCESS ||
      type != od::number_type::signed_integer) {
    return false;
  }
  return v.get_int64().get(*out) == simdjson::SUCCESS;
}

bool GetUint64(od::value& v, uint64_t* out) {
  od::number_type type;
  if (v.get_number_type().get(type) != simdjson::SUCCESS ||
      type == od::number_type::floating_point_number) {
    return false;
  }
  return v.get_uint64().get(*out) == simdjson::SUCCESS;
}

bool GetDouble(od::value& v, double* out) {
  od::number_type type;
  if (v.get_number_type().get(type) != simdjson::SUCCESS) return false;
  if (type == od::number_type::floating_point_number) {
    return v.get_double().get(*out) == simdjson::SUCCESS;
  }
  int64_t i = 0;
  if (type != od::number_type::signed_integer ||
      v.get_int64().get(i) != simdjson::SUCCESS || i > kMaxExactDouble ||
      i < -kMaxExactDouble) {
    return false;
  }
  *out = static_cast<double>(i);
  return true;
}

}  // namespace

struct FastJsonParser::Impl {
  using FieldMap =
      absl::flat_hash_map<absl::string_view, const FieldDescriptor*>;

  od::parser parser;
  std::string buffer;
  // Node-based: a nested message's entry added while the outer one's map
  // is in use must not move it.
  std::unordered_map<const Descriptor*, FieldMap> fields;

  // The fields of `d` by proto name and JSON name; null for a message kind
  // this parser declines as a whole.
  const FieldMap* FieldsOf(const Descriptor* d) {
    auto it = fields.find(d);
    if (it != fields.end()) return &it->second;
    FieldMap map;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      map.emplace(f->name(), f);
      map.emplace(f->json_name(), f);
    }
    return &fields.emplace(d, std::move(map)).first->second;
  }

  static bool Declined(const FieldDescriptor* f) {
    if (f->is_map() || f->real_containing_oneof() != nullptr) return true;
    switch (f->type()) {
      case FieldDescriptor::TYPE_BYTES:
      case FieldDescriptor::TYPE_FLOAT:
      case FieldDescriptor::TYPE_GROUP:
        return true;
      case FieldDescriptor::TYPE_MESSAGE: {
        // The well-known types (Timestamp, wrappers, Struct...) have JSON
        // forms of their own.
        const std::string& file = f->message_type()->file()->name();
        return file.rfind("google/protobuf/", 0) == 0;
      }
      default:
        return false;
    }
  }

  // One value of `f` (an element when repeated) into `m`.
  bool Value(od::value& v, const FieldDescriptor* f, Message* m) {
    const Reflection* r = m->GetReflection();
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int64_t i = 0;
        if (!GetInt64(v, &i) || i < std::numeric_limits<int32_t>::min() ||
            i > std::numeric_limits<int32_t>::max()) {
          return false;
        }
        rep ? r->AddInt32(m, f, static_cast<int32_t>(i))
            : r->SetInt32(m, f, static_cast<int32_t>(i));
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t i = 0;
        if (!GetInt64(v, &i)) return false;
        rep ? r->AddInt64(m, f, i) : r->SetInt64(m, f, i);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint64_t u = 0;
        if (!GetUint64(v, &u) || u > std::numeric_limits<uint32_t>::max()) {
          return false;
        }
        rep ? r->AddUInt32(m, f, static_cast<uint32_t>(u))
            : r->SetUInt32(m, f, static_cast<uint32_t>(u));
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t u = 0;
        if (!GetUint64(v, &u)) return false;
        rep ? r->AddUInt64(m, f, u) : r->SetUInt64(m, f, u);
        return true;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double d = 0;
        if (!GetDouble(v, &d)) return false;
        rep ? r->AddDouble(m, f, d) : r->SetDouble(m, f, d);
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool b = false;
        if (v.get_bool().get(b) != simdjson::SUCCESS) return false;
        rep ? r->AddBool(m, f, b) : r->SetBool(m, f, b);
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        absl::string_view name;
        if (!GetPlainString(v, &name)) return false;
        const auto* value = f->enum_type()->FindValueByName(std::string(name));
        if (value == nullptr) return false;
        rep ? r->AddEnumValue(m, f, value->number())
            : r->SetEnumValue(m, f, value->number());
        return true;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        absl::string_view s;
        if (!GetPlainString(v, &s)) return false;
        rep ? r->AddString(m, f, std::string(s))
            : r->SetString(m, f, std::string(s));
        return true;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        od::object object;
        if (v.get_object().get(object) != simdjson::SUCCESS) return false;
        return Object(object,
                      rep ? r->AddMessage(m, f) : r->MutableMessage(m, f));
      }
    }
    return false;
  }

  bool Object(od::object& object, Message* m) {
    const FieldMap* map = FieldsOf(m->GetDescriptor());
    if (m->GetDescriptor()->field_count() > 64) return false;
    uint64_t seen = 0;
    for (auto entry : object) {
      od::field field;
      if (std::move(entry).get(field) != simdjson::SUCCESS) return false;
      absl::string_view key;
      if (!PlainString(field.key().raw(), &key)) return false;
      auto it = map->find(key);
      if (it == map->end()) return false;  // unknown: protobuf says which
      const FieldDescriptor* f = it->second;
      const uint64_t bit = uint64_t{1} << f->index();
      if ((seen & bit) != 0 || Declined(f)) return false;
      seen |= bit;
      od::value v = field.value();
      if (!f->is_repeated()) {
        if (!Value(v, f, m)) return false;
        continue;
      }
      od::array array;
      if (v.get_array().get(array) != simdjson::SUCCESS) return false;
      for (auto element : array) {
        od::value ev;
        if (std::move(element).get(ev) != simdjson::SUCCESS ||
            !Value(ev, f, m)) {
          return false;
        }
      }
    }
    return true;
  }
};

FastJsonParser::FastJsonParser() : impl_(std::make_unique<Impl>()) {}
FastJsonParser::~FastJsonParser() = default;

bool FastJsonParser::Parse(absl::string_view json, Message* message) {
  message->Clear();
  // An object, nothing before it (no byte order mark) but whitespace.
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == absl::string_view::npos || json[first] != '{') return false;
  std::string& buffer = impl_->buffer;
  buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(json.data(), json.size());
  od::document doc;
  if (impl_->parser.iterate(buffer.data(), buffer.size(), buffer.capacity())
          .get(doc) != simdjson::SUCCESS) {
    return false;
  }
  od::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
  if (!impl_->Object(object, message)) return false;
  // Nothing after the object.
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

#endif  // AV_HAVE_SIMDJSON

}  // namespace av::client
