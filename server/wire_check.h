// A descriptor-driven walk over a protobuf message in wire form, for the
// requests protobuf's parser refused. proto3 refuses a whole message for one
// string field that is not valid UTF-8; this finds every such field with its
// path ("items[3].sku", "records[2].alternatives[0].sku") and rebuilds the
// bytes with those strings emptied, so that the message parses and the rest
// of it can be answered:
//
//   absl::StatusOr<WireCheck> check =
//       CheckWireUtf8(bytes, *v1::BatchGetAvailabilityRequest::descriptor());
//   // check->invalid_utf8[0].Path() == "items[1].sku"
//   // request.ParseFromString(check->repaired) succeeds
//
// The walk follows protobuf's own parser: unknown fields (and known fields
// sent with another wire type) are kept as they are and never checked;
// packed repeated numbers and every nested message are checked for shape.
// Errors: InvalidArgument when the bytes are not a message in wire form
// (truncated, a field number 0, a bad wire type or END_GROUP, a bad packed
// field, nesting deeper than protobuf's recursion limit of 100).
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_WIRE_CHECK_H_
#define AVAILABILITY_SERVER_WIRE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace availability::server {

// One step of a field path: a field, and the element's index when the field
// is repeated (its occurrences in wire order; for a map, its entries).
struct WireFieldStep {
  const google::protobuf::FieldDescriptor* field = nullptr;
  int index = -1;  // -1: a singular field
};

// A string field whose value is not valid UTF-8.
struct InvalidUtf8Field {
  std::vector<WireFieldStep> path;  // from the top-level message down

  // "records[2].alternatives[0].sku"; a map entry's key is "channels[0].key".
  std::string Path() const;
};

struct WireCheck {
  // In wire order; empty when every string field is valid UTF-8.
  std::vector<InvalidUtf8Field> invalid_utf8;
  // The message's bytes with each of those strings emptied (everything else
  // byte for byte as sent).
  std::string repaired;
};

// Walks `bytes` as a message of `type`. See the file comment.
absl::StatusOr<WireCheck> CheckWireUtf8(
    absl::string_view bytes, const google::protobuf::Descriptor& type);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_WIRE_CHECK_H_
