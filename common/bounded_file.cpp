#include "common/bounded_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace common {

void wipe(std::string& s) {
  ::explicit_bzero(s.data(), s.size());
  s.clear();
}

bounded_file read_bounded_file(const std::string& path, std::size_t max_bytes) {
  bounded_file out;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    out.error = EISDIR;
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = errno != 0 ? errno : ENOENT;
    return out;
  }
  out.content.resize(max_bytes + 1);
  in.read(out.content.data(), static_cast<std::streamsize>(out.content.size()));
  out.content.resize(static_cast<std::size_t>(in.gcount()));
  if (out.content.size() > max_bytes) {
    wipe(out.content);
    out.too_large = true;
  }
  return out;
}

}  // namespace common
