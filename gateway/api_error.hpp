#pragma once

#include <string>

namespace gateway {

// An error answer of the HTTP API: status, stable code, human-readable message and the field
// it concerns (empty when it concerns no single field). Serialised as
// {"error": {"code": ..., "message": ..., "field": ...}} (design.md section 5.2).
struct api_error {
  int status = 400;
  std::string code;
  std::string message;
  std::string field;

  bool operator==(const api_error&) const = default;
};

std::string to_json(const api_error& error);

api_error bad_request(std::string message, std::string field = {});

}  // namespace gateway
