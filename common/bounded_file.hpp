#pragma once

// Reading a small file whole, with a bound: a secret or key file named by mistake as /dev/zero
// or a large file must not be read forever nor fill memory.

#include <cstddef>
#include <string>

namespace common {

struct bounded_file {
  std::string content;     // the whole file; empty when it could not be read or was too large
  int error = 0;           // errno when it could not be opened (EISDIR for a directory)
  bool too_large = false;  // it holds more than max_bytes (its bytes read so far were wiped)
};

// Reads at most max_bytes + 1 bytes of `path`.
bounded_file read_bounded_file(const std::string& path, std::size_t max_bytes);

// Overwrites `s` with zeros in a way the compiler keeps, then clears it (secrets).
void wipe(std::string& s);

}  // namespace common
