#pragma once
// Error types that user-facing commands catch and print without a stack trace.
// Each message is written for the user: what, where (file, field), and the fix.
#include <stdexcept>
#include <string>

namespace bitlab {

// Bad configuration: the message names the file, the JSON path and what was expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad or missing data file: the message names the file and what is wrong with it.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file bitlab wrote itself (checkpoint, metrics) could not be read or written.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bitlab
