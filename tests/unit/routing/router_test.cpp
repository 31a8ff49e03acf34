#include "routing/router.h"

#include <gtest/gtest.h>

namespace kt::routing {
namespace {

config::Target target(std::string id, std::string model,
                      std::optional<config::Endpoint> ep = config::Endpoint::chat) {
  config::Target t;
  t.id = std::move(id);
  t.provider = "openai";
  t.model = std::move(model);
  t.endpoint = ep;
  return t;
}

std::vector<std::string> ids(const std::vector<Candidate>& c) {
  std::vector<std::string> out;
  for (const auto& x : c) out.push_back(x.target->id + "=" + x.model);
  return out;
}

TEST(Router, PrimaryIsTheFirstTargetServingTheModelAndLaterTargetsFallBack) {
  config::Config cfg;
  cfg.providers.targets = {target("replicate-primary", "meta/llama-3.3-70b-instruct"),
                           target("openai-fallback", "gpt-4o")};
  TargetStates states;
  Router r(cfg, states);
  EXPECT_EQ(ids(r.candidates("meta/llama-3.3-70b-instruct", config::Endpoint::chat)),
            (std::vector<std::string>{"replicate-primary=meta/llama-3.3-70b-instruct",
                                      "openai-fallback=gpt-4o"}));
  EXPECT_EQ(ids(r.candidates("gpt-4o", config::Endpoint::chat)),
            (std::vector<std::string>{"openai-fallback=gpt-4o"}));
  EXPECT_TRUE(r.candidates("unknown", config::Endpoint::chat).empty());
  EXPECT_EQ(r.served_models(),
            (std::vector<std::string>{"meta/llama-3.3-70b-instruct", "gpt-4o"}));
}

TEST(Router, ModelLessTargetServesAnyModelWithTheRequestsModel) {
  config::Config cfg;
  cfg.providers.targets = {target("fixed", "a"), target("open", "", std::nullopt)};
  TargetStates states;
  Router r(cfg, states);
  EXPECT_EQ(ids(r.candidates("zzz", config::Endpoint::chat)),
            (std::vector<std::string>{"open=zzz"}));
  EXPECT_EQ(ids(r.candidates("a", config::Endpoint::chat)),
            (std::vector<std::string>{"fixed=a", "open=a"}));
  EXPECT_TRUE(r.serves_any_model());
}

TEST(Router, EndpointsFilterTargets) {
  config::Config cfg;
  cfg.providers.targets = {target("chat", "m"), target("img", "flux", config::Endpoint::image),
                           target("chat2", "m2")};
  TargetStates states;
  Router r(cfg, states);
  EXPECT_EQ(ids(r.candidates("m", config::Endpoint::chat)),
            (std::vector<std::string>{"chat=m", "chat2=m2"}));
  EXPECT_EQ(ids(r.candidates("m", config::Endpoint::completion)),
            (std::vector<std::string>{"chat=m", "chat2=m2"}));
  EXPECT_EQ(ids(r.candidates("", config::Endpoint::image)),
            (std::vector<std::string>{"img=flux"}));
  EXPECT_TRUE(r.candidates("m", config::Endpoint::embedding).empty());
}

TEST(Router, RoundRobinRotatesAndLowestLatencySorts) {
  config::Config cfg;
  cfg.providers.targets = {target("a", "m"), target("b", "m"), target("c", "m")};
  cfg.providers.strategy = config::Strategy::round_robin;
  TargetStates states;
  Router r(cfg, states);
  EXPECT_EQ(r.candidates("m", config::Endpoint::chat)[0].target->id, "a");
  EXPECT_EQ(r.candidates("m", config::Endpoint::chat)[0].target->id, "b");
  EXPECT_EQ(r.candidates("m", config::Endpoint::chat)[0].target->id, "c");
  EXPECT_EQ(r.candidates("m", config::Endpoint::chat)[0].target->id, "a");

  cfg.providers.strategy = config::Strategy::lowest_latency;
  Router l(cfg, states);
  states.get("a", cfg.providers.circuit_breaker)->record_latency(50);
  states.get("b", cfg.providers.circuit_breaker)->record_latency(5);
  states.get("c", cfg.providers.circuit_breaker)->record_latency(20);
  EXPECT_EQ(ids(l.candidates("m", config::Endpoint::chat)),
            (std::vector<std::string>{"b=m", "c=m", "a=m"}));
}

TEST(Router, TargetStateSurvivesReload) {
  config::Config cfg;
  cfg.providers.targets = {target("a", "m")};
  TargetStates states;
  auto s1 = states.get("a", cfg.providers.circuit_breaker);
  s1->record_latency(10);
  Router r(cfg, states);
  EXPECT_EQ(r.entries()[0].state.get(), s1.get());
}

}  // namespace
}  // namespace kt::routing
