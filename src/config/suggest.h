// suggest.h — "did you mean" for misspelt names: the closest candidate by edit distance, if it
// is close enough to be a plausible typo.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kt::config {

// Levenshtein distance (insert, delete, substitute all cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is within a typo's reach.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

// "Did you mean 'x'?" or "" when there is no close candidate.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

// "a, b, c"
std::string join_names(const std::vector<std::string_view>& names);

}  // namespace kt::config
