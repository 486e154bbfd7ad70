#include "policy/store_error.hpp"

#include <string>

namespace policy {
namespace {

class store_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "policy.store"; }
  std::string message(int ev) const override {
    switch (static_cast<store_errc>(ev)) {
      case store_errc::unavailable: return "store unavailable";
      case store_errc::not_ready: return "store not ready";
      case store_errc::timeout: return "store timed out";
      case store_errc::io_error: return "store I/O error";
      case store_errc::corrupt: return "store data corrupt or from a newer version";
      case store_errc::shutting_down: return "store shutting down";
      case store_errc::invalid_argument: return "invalid store request";
      case store_errc::lease_lost: return "queue lease lost (entry reclaimed)";
    }
    return "unknown store error";
  }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const store_category_impl instance;
  return instance;
}

}  // namespace policy
