#pragma once
// Small text helpers shared by error messages and reports.
#include <string>
#include <string_view>
#include <vector>

namespace bitlab {

// Levenshtein distance; used to suggest the key a user probably meant.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is plausibly a typo of it.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// Seconds as "1h02m", "3m05s" or "12s": compact enough for a progress line.
std::string format_duration(double seconds);

}  // namespace bitlab
