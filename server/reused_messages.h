// A gRPC MessageAllocator that reuses the request and response objects of
// finished calls instead of freeing them. The response lives on a protobuf
// arena whose first block (`arena_block_bytes`) belongs to the holder: a
// finished call's Reset() keeps that block, so the next call's answer (its
// sub-messages and strings) is built with pointer bumps and no malloc or
// free as long as it fits. (Clear() alone would not do: proto3 messages
// delete their sub-messages on Clear.) The request is Clear()ed and reused,
// which keeps its repeated elements and string capacity.
//
//   ReusedMessageAllocator<ParsedRequest<GetRequest>, Answer> allocator(4096);
//   handler->SetMessageAllocator(&allocator);  // see ServeUnary
//
// At most `max_pooled` holders are kept; a holder whose request or response
// has more than `max_items` elements in its `items` list is freed rather
// than kept, so one huge batch does not pin its memory. Thread-safe: gRPC
// allocates and releases on any of its threads; a mutex guards the free
// list for one push or pop. The allocator must outlive the server.
#ifndef AVAILABILITY_SERVER_REUSED_MESSAGES_H_
#define AVAILABILITY_SERVER_REUSED_MESSAGES_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/arena.h"
#include "grpcpp/support/message_allocator.h"

namespace availability::server {

namespace reused_messages_internal {

template <typename T, typename = void>
struct HasItems : std::false_type {};
template <typename T>
struct HasItems<T, std::void_t<decltype(std::declval<const T&>().items_size())>>
    : std::true_type {};
template <typename T, typename = void>
struct HasMessage : std::false_type {};
template <typename T>
struct HasMessage<T, std::void_t<decltype(std::declval<const T&>().message())>>
    : std::true_type {};

// The elements of a message's `items` list (of a ParsedRequest's message);
// 0 for messages without one.
template <typename T>
int ItemCount(const T& message) {
  if constexpr (HasItems<T>::value) {
    return message.items_size();
  } else if constexpr (HasMessage<T>::value) {
    return ItemCount(message.message());
  } else {
    return 0;
  }
}

}  // namespace reused_messages_internal

template <typename Request, typename Response>
class ReusedMessageAllocator final
    : public grpc::MessageAllocator<Request, Response> {
 public:
  explicit ReusedMessageAllocator(size_t arena_block_bytes,
                                  size_t max_pooled = 128, int max_items = 64)
      : arena_block_bytes_(arena_block_bytes),
        max_pooled_(max_pooled),
        max_items_(max_items) {}
  ReusedMessageAllocator(const ReusedMessageAllocator&) = delete;
  ReusedMessageAllocator& operator=(const ReusedMessageAllocator&) = delete;
  ~ReusedMessageAllocator() override {
    absl::MutexLock lock(&mu_);
    for (Holder* holder : free_) delete holder;
  }

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    {
      absl::MutexLock lock(&mu_);
      if (!free_.empty()) {
        Holder* holder = free_.back();
        free_.pop_back();
        return holder;
      }
    }
    return new Holder(this, arena_block_bytes_);
  }

  // Called (on the releasing thread) after each call's messages are
  // released, i.e. once the call is done; set before the first call.
  void SetReleaseHook(std::function<void()> hook) {
    release_hook_ = std::move(hook);
  }

  // Holders kept for reuse right now (for tests).
  size_t pooled() const {
    absl::MutexLock lock(&mu_);
    return free_.size();
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder(ReusedMessageAllocator* owner, size_t block_bytes)
        : owner_(owner),
          block_(new char[block_bytes]),
          arena_(Options(block_.get(), block_bytes)) {
      this->set_request(&request_);
      NewResponse();
    }
    void Release() override {
      ReusedMessageAllocator* owner = owner_;
      owner->Recycle(this);  // may delete this holder
      if (owner->release_hook_) owner->release_hook_();
    }

   private:
    friend class ReusedMessageAllocator;
    static google::protobuf::ArenaOptions Options(char* block, size_t bytes) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = bytes;
      return options;
    }
    void NewResponse() {
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    // Empties both messages for the next call; the arena keeps its first
    // block.
    void Reset() {
      request_.Clear();
      arena_.Reset();
      NewResponse();
    }

    ReusedMessageAllocator* const owner_;
    const std::unique_ptr<char[]> block_;
    google::protobuf::Arena arena_;
    Request request_;
  };

  void Recycle(Holder* holder) {
    using reused_messages_internal::ItemCount;
    if (ItemCount(holder->request_) > max_items_ ||
        ItemCount(*holder->response()) > max_items_) {
      delete holder;
      return;
    }
    holder->Reset();  // outside the lock
    {
      absl::MutexLock lock(&mu_);
      if (free_.size() < max_pooled_) {
        free_.push_back(holder);
        return;
      }
    }
    delete holder;
  }

  const size_t arena_block_bytes_;
  const size_t max_pooled_;
  const int max_items_;
  std::function<void()> release_hook_;
  mutable absl::Mutex mu_;
  std::vector<Holder*> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_REUSED_MESSAGES_H_
