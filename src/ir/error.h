#pragma once
// The error every ir check throws: a graph that breaks the IR's rules. It is an
// std::invalid_argument (a caller handed in a bad graph); the file loader turns
// it into an IoError that also names the file.
#include <stdexcept>

namespace bitlab::ir {

class GraphError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace bitlab::ir
