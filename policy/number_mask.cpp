#include "policy/number_mask.hpp"

namespace policy {

std::string mask_number(std::string_view number) {
  constexpr std::size_t keep_front = 5;
  constexpr std::size_t keep_back = 2;
  if (number.size() <= keep_front + keep_back + 2) return std::string(number.size(), '*');
  std::string out(number);
  for (std::size_t i = keep_front; i < out.size() - keep_back; ++i) out[i] = '*';
  return out;
}

}  // namespace policy
