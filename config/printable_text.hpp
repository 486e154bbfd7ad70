#pragma once

// Text from a configuration file as it may appear in a message (errors, warnings, logs). Pure.

#include <string>
#include <string_view>

namespace config::detail {

// `text` with every byte that is not part of valid UTF-8, and every control character (a key or
// value written with "\e" or "\n" in double quotes), written as \xNN: a message stays one
// readable line of valid UTF-8 (JSON logs, terminals) and still shows which bytes were there.
std::string printable(std::string_view text);

}  // namespace config::detail
