#pragma once
// Redis' serialization format for hashes (the payloads of DUMP and RESTORE; docs/stores.md,
// "Admission script" and "Suppressions"): building a payload, and reading the fields of a hash
// back out of what DUMP returns. Pure code, no I/O.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace policy::detail {

using field_value = std::pair<std::string_view, std::string_view>;

// CRC-64 with the Jones polynomial (reflected), as Redis checks DUMP payloads.
std::uint64_t crc64_jones(std::string_view s);

// A hash as a RESTORE payload: type 4 (hash), the pair count, each field and value a
// length-prefixed raw string, format version 9 (Redis 5 and later load it), CRC-64. Redis loads
// it by appending each pair (a new listpack while it fits hash-max-listpack-*), without looking
// for duplicates: the caller sends each field once.
std::string dump_hash(std::span<const field_value> fields);

// The field/value pairs of a DUMP of a hash in Redis 7's listpack encoding (type 16), also when
// Redis compressed it (LZF). false for anything else (another type or encoding, an integer
// entry, a wrong checksum, a truncated payload): the caller then uses commands instead.
bool read_hash_dump(std::string_view payload, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace policy::detail
