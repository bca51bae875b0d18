#pragma once
// The interface every search strategy implements (docs/search.md §4). A
// strategy proposes candidates and asks the context to evaluate them; it must
// be deterministic given ctx.options().seed and the answers, so a resumed
// search replays it against the trial log.
#include <string>

#include "search/core/context.h"

namespace bitlab::search {

class Strategy {
 public:
  virtual ~Strategy() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  virtual void run(SearchContext& ctx) = 0;
};

}  // namespace bitlab::search
