// docs/domain.md §5: WantsAlternatives and PickAlternatives.
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "core/decision.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

using absl::CivilDay;

const CivilDay kToday(2024, 3, 1);

Decision Answer(Status status,
                std::optional<CivilDay> first_ship = std::nullopt) {
  Decision d;
  d.status = status;
  d.first_ship_date = first_ship;
  d.eta_known = first_ship.has_value();
  return d;
}

struct WantsCase {
  std::string name;
  Decision decision;
  int backorder_days;
  bool expected;
};

class WantsAlternativesTest : public testing::TestWithParam<WantsCase> {};

TEST_P(WantsAlternativesTest, Decides) {
  StoreConfig config;
  config.alternatives_backorder_days = GetParam().backorder_days;
  EXPECT_EQ(WantsAlternatives(GetParam().decision, config, kToday),
            GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WantsAlternativesTest,
    testing::Values(
        WantsCase{"OutOfStock", Answer(Status::kOutOfStock), 0, true},
        WantsCase{"Discontinued", Answer(Status::kDiscontinued), 0, true},
        WantsCase{"InStock", Answer(Status::kInStock), 5, false},
        WantsCase{"Preorder", Answer(Status::kPreorder, CivilDay(2024, 6, 1)),
                  5, false},
        WantsCase{"Unknown", Answer(Status::kUnknown), 5, false},
        WantsCase{"BackorderableSettingOff",
                  Answer(Status::kBackorderable, CivilDay(2024, 6, 1)), 0,
                  false},
        WantsCase{"BackorderableSoon",
                  Answer(Status::kBackorderable, CivilDay(2024, 3, 6)), 5,
                  false},
        WantsCase{"BackorderableExactlyAtLimit",
                  Answer(Status::kBackorderable, CivilDay(2024, 3, 6)), 5,
                  false},
        WantsCase{"BackorderableOneDayBeyondLimit",
                  Answer(Status::kBackorderable, CivilDay(2024, 3, 7)), 5,
                  true},
        WantsCase{"BackorderableUndated", Answer(Status::kBackorderable), 5,
                  true}),
    [](const testing::TestParamInfo<WantsCase>& row) {
      return row.param.name;
    });

struct PickCase {
  std::string name;
  Decision subject;
  std::vector<Candidate> candidates;
  size_t max;
  // Expected picks as (sku, candidate index).
  std::vector<std::pair<std::string, size_t>> expected;
};

class PickAlternativesTest : public testing::TestWithParam<PickCase> {};

TEST_P(PickAlternativesTest, Picks) {
  const PickCase& c = GetParam();
  const std::vector<PickedAlternative> picked =
      PickAlternatives("SELF", c.subject, c.candidates, c.max);
  std::vector<std::pair<std::string, size_t>> got;
  for (const PickedAlternative& p : picked) {
    got.emplace_back(p.sku, p.candidate_index);
    EXPECT_EQ(p.relation, c.candidates[p.candidate_index].relation);
  }
  EXPECT_EQ(got, c.expected);
}

Candidate C(std::string sku, Relation relation, Decision decision) {
  return Candidate{std::move(sku), relation, std::move(decision)};
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PickAlternativesTest,
    testing::Values(
        PickCase{"InStockBeforeBackorderableEachInGatheringOrder",
                 Answer(Status::kOutOfStock),
                 {C("SUCC", Relation::kSuccessor,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 9))),
                  C("SUB", Relation::kSubstitute, Answer(Status::kInStock)),
                  C("REL", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 5))),
                  C("CAT", Relation::kSameCategory, Answer(Status::kInStock))},
                 10,
                 {{"SUB", 1}, {"CAT", 3}, {"SUCC", 0}, {"REL", 2}}},
        PickCase{"DropsOutOfStockDiscontinuedPreorderUnknown",
                 Answer(Status::kOutOfStock),
                 {C("A", Relation::kRelated, Answer(Status::kOutOfStock)),
                  C("B", Relation::kRelated, Answer(Status::kDiscontinued)),
                  C("C", Relation::kRelated,
                    Answer(Status::kPreorder, CivilDay(2024, 3, 2))),
                  C("D", Relation::kRelated, Answer(Status::kUnknown)),
                  C("E", Relation::kUpsell, Answer(Status::kInStock))},
                 10,
                 {{"E", 4}}},
        PickCase{"DropsUndatedBackorderable",
                 Answer(Status::kDiscontinued),
                 {C("A", Relation::kRelated, Answer(Status::kBackorderable))},
                 10,
                 {}},
        PickCase{"BackorderableMustBeatSubjectEta",
                 Answer(Status::kBackorderable, CivilDay(2024, 3, 10)),
                 {C("LATER", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 11))),
                  C("SAME", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 10))),
                  C("EARLIER", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 9)))},
                 10,
                 {{"EARLIER", 2}}},
        PickCase{"UndatedSubjectAcceptsAnyDatedBackorderable",
                 Answer(Status::kBackorderable),
                 {C("A", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2025, 1, 1)))},
                 10,
                 {{"A", 0}}},
        PickCase{"InStockSubjectTakesOnlyInStock",
                 Answer(Status::kInStock),
                 {C("A", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 2))),
                  C("B", Relation::kRelated, Answer(Status::kInStock))},
                 10,
                 {{"B", 1}}},
        PickCase{"NeverItselfNoDuplicatesFirstRelationWins",
                 Answer(Status::kOutOfStock),
                 {C("SELF", Relation::kSuccessor, Answer(Status::kInStock)),
                  C("A", Relation::kSubstitute, Answer(Status::kInStock)),
                  C("A", Relation::kSameCategory, Answer(Status::kInStock)),
                  C("", Relation::kRelated, Answer(Status::kInStock)),
                  C("B", Relation::kRelated, Answer(Status::kInStock))},
                 10,
                 {{"A", 1}, {"B", 4}}},
        PickCase{"AtMostMax",
                 Answer(Status::kOutOfStock),
                 {C("A", Relation::kRelated,
                    Answer(Status::kBackorderable, CivilDay(2024, 3, 2))),
                  C("B", Relation::kRelated, Answer(Status::kInStock)),
                  C("C", Relation::kRelated, Answer(Status::kInStock)),
                  C("D", Relation::kRelated, Answer(Status::kInStock))},
                 2,
                 {{"B", 1}, {"C", 2}}},
        PickCase{"MaxZero",
                 Answer(Status::kOutOfStock),
                 {C("A", Relation::kRelated, Answer(Status::kInStock))},
                 0,
                 {}},
        PickCase{"NoCandidates", Answer(Status::kOutOfStock), {}, 3, {}}),
    [](const testing::TestParamInfo<PickCase>& row) { return row.param.name; });

TEST(PickAlternativesTest, WorksOnRealDecisions) {
  StoreConfig config;
  Record subject;
  subject.sku = "SELF";
  subject.lifecycle = Lifecycle::kDiscontinued;
  subject.successor_sku = "NEW";
  Record successor;
  successor.sku = "NEW";
  successor.source_qty = QtyFromUnits(4);
  const Decision subject_decision =
      Decide(subject, config, kToday, std::nullopt);
  ASSERT_TRUE(WantsAlternatives(subject_decision, config, kToday));
  const std::vector<Candidate> candidates = {
      {"NEW", Relation::kSuccessor,
       Decide(successor, config, kToday, std::nullopt)}};
  const std::vector<PickedAlternative> picked =
      PickAlternatives("SELF", subject_decision, candidates, 3);
  ASSERT_EQ(picked.size(), 1u);
  EXPECT_EQ(picked[0].sku, "NEW");
  EXPECT_EQ(picked[0].relation, Relation::kSuccessor);
}

}  // namespace
}  // namespace availability::core
