#include "server/reused_messages.h"

#include <string>

#include "availability/v1/availability.pb.h"
#include "gtest/gtest.h"
#include "server/request_parsing.h"

namespace availability::server {
namespace {

using BatchAllocator =
    ReusedMessageAllocator<ParsedRequest<v1::BatchGetAvailabilityRequest>,
                           v1::BatchGetAvailabilityResponse>;

void FillAnswers(v1::BatchGetAvailabilityResponse* response, int n) {
  for (int i = 0; i < n; ++i) {
    v1::ProductAvailability* item = response->add_items();
    item->set_sku("SKU-" + std::to_string(i));
    item->mutable_feed()->set_schema_org_availability(
        "https://schema.org/InStock");
    item->mutable_freshness()->mutable_source_time()->set_seconds(i);
  }
}

TEST(ReusedMessageAllocatorTest, AReleasedHolderComesBackEmpty) {
  BatchAllocator allocator(/*arena_block_bytes=*/16 << 10);
  auto* holder = allocator.AllocateMessages();
  ASSERT_NE(holder->response(), nullptr);
  EXPECT_NE(holder->response()->GetArena(), nullptr);  // on the arena
  FillAnswers(holder->response(), 10);
  holder->Release();
  EXPECT_EQ(allocator.pooled(), 1u);

  auto* again = allocator.AllocateMessages();
  EXPECT_EQ(again, holder);  // the same holder, reused
  EXPECT_EQ(allocator.pooled(), 0u);
  EXPECT_EQ(again->response()->items_size(), 0);
  EXPECT_EQ(again->request()->message().items_size(), 0);
  // Usable as new: the next call's answers are whole.
  FillAnswers(again->response(), 3);
  EXPECT_EQ(again->response()->items(2).sku(), "SKU-2");
  again->Release();
}

TEST(ReusedMessageAllocatorTest, HoldersOfHugeAnswersAreFreedNotKept) {
  BatchAllocator allocator(/*arena_block_bytes=*/1024, /*max_pooled=*/8,
                           /*max_items=*/64);
  auto* huge = allocator.AllocateMessages();
  FillAnswers(huge->response(), 65);  // beyond the first block, too
  huge->Release();
  EXPECT_EQ(allocator.pooled(), 0u);

  auto* small = allocator.AllocateMessages();
  FillAnswers(small->response(), 64);
  small->Release();
  EXPECT_EQ(allocator.pooled(), 1u);
}

// The hook runs once per release, whether the holder is kept or freed
// (server/finish_handoff.h counts finished calls with it).
TEST(ReusedMessageAllocatorTest, TheReleaseHookRunsOncePerRelease) {
  BatchAllocator allocator(/*arena_block_bytes=*/1024, /*max_pooled=*/8,
                           /*max_items=*/64);
  int released = 0;
  allocator.SetReleaseHook([&released] { ++released; });
  auto* kept = allocator.AllocateMessages();
  auto* huge = allocator.AllocateMessages();
  FillAnswers(huge->response(), 65);
  kept->Release();
  EXPECT_EQ(released, 1);
  huge->Release();  // freed, not kept
  EXPECT_EQ(released, 2);
  EXPECT_EQ(allocator.pooled(), 1u);
}

TEST(ReusedMessageAllocatorTest, KeepsAtMostMaxPooled) {
  BatchAllocator allocator(/*arena_block_bytes=*/1024, /*max_pooled=*/2);
  auto* a = allocator.AllocateMessages();
  auto* b = allocator.AllocateMessages();
  auto* c = allocator.AllocateMessages();
  a->Release();
  b->Release();
  c->Release();
  EXPECT_EQ(allocator.pooled(), 2u);
}

}  // namespace
}  // namespace availability::server
