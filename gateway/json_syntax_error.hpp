#pragma once

#include <string>
#include <string_view>

namespace gateway {

// Why `body` is not valid JSON, for the 400 answer: what is wrong and at which byte (counted from
// 1), such as "the body is not valid JSON at byte 46: invalid string: ill-formed UTF-8 byte".
// Only for a body that failed to parse; the text is ASCII (never a raw byte of the body), so it
// can be quoted in a JSON answer as is.
std::string describe_json_syntax_error(std::string_view body);

}  // namespace gateway
