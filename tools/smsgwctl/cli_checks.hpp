#pragma once

// Checks of smsgwctl options shared by the commands (CLI11 validators: a failed check is a usage
// error, exit 2, naming the option).

#include <CLI/CLI.hpp>

#include <string>
#include <utility>

#include "common/ascii.hpp"
#include "gateway/accept.hpp"

namespace smsgwctl {

// --sender given but empty: refused, because leaving --sender out is how a command means "every
// sender" (global), and an empty shell variable must not turn `unsuppress --sender "$S"` into
// removing the global suppression.
inline CLI::Validator non_empty_sender() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return value.empty() ? "must not be empty; leave --sender out for every sender (global)" : "";
      },
      "SENDER");
}

// --region: a country the number library knows, in any case ("gb" -> "GB"); "ZZ" would otherwise
// read every national number as having no country code.
inline CLI::Validator country_region() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        value = common::upper_ascii(std::move(value));
        if (gateway::check_region(value)) return "\"" + value + "\" is not a country code (ISO 3166, such as US or GB)";
        return "";
      },
      "REGION");
}

// Refuses an option the chosen command would silently ignore: a usage error (exit 2) naming the
// option and why, thrown from the command's CLI11 callback, before the store is opened.
inline void refuse_if_given(const CLI::App& command, const std::string& option, const std::string& why) {
  if (command.count(option) > 0) throw CLI::ValidationError(option, why);
}

}  // namespace smsgwctl
