// The Replicate models kt-mock serves (wire-formats §3) and their input validation: which
// endpoint runs them, the version they report, their length parameter and output shape, and the
// 422 "Input validation failed" details (with invalid_fields) real Replicate gives for bad input.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kt::mock {

struct ReplicateModel {
  std::string_view owner_name;  // "owner/name"
  bool image;
  std::string_view version;     // as reported on predictions: 64-hex, "dp-...", or "hidden"
  bool by_name;                 // runnable on POST /v1/models/{owner}/{name}/predictions
  std::string_view length_key;  // chat: "max_tokens" or "max_new_tokens"
  int default_length;
  bool array_output;  // images: array of URLs (flux) or one URL (SD 3.5)
  std::string_view description;
};

struct ReplicateDeployment {
  std::string_view owner_name;
  std::string_view model;  // the model it runs
};

const std::vector<ReplicateModel>& replicate_models();
const ReplicateModel* find_replicate_model(std::string_view owner_name);
// A 64-hex version, "owner/name" or "owner/name:<64-hex>" -> the model; nullptr if unknown.
const ReplicateModel* find_replicate_version(std::string_view version);
const ReplicateDeployment* find_replicate_deployment(std::string_view owner_name);
bool is_version_hash(std::string_view s);

struct InvalidField {
  std::string type;         // required, enum, number_lte, number_gte, type
  std::string field;        // "input" or "input.<name>"
  std::string description;  // "prompt is required"
};
// Checks `input` against the model's schema; empty when valid.
std::vector<InvalidField> validate_input(const ReplicateModel& model,
                                         const boost::json::object& input);

// GET /v1/models/{owner}/{name} and .../versions/{id} bodies.
boost::json::object replicate_model_object(const ReplicateModel& model);
boost::json::object replicate_version_object(const ReplicateModel& model);

}  // namespace kt::mock
