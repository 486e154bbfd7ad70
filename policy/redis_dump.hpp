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

// The listpack of a hash as Redis 7 lays it out when an HSET appends these pairs to an empty
// key: header (total bytes, element count), per field and value one entry (encoding, data,
// back-length), 0xff. A string Redis reads as a 64-bit integer (no sign but '-', no leading
// zero, "0" itself, at most 20 characters, in range) becomes an integer entry of the smallest
// width, as Redis' lpAppend does; every other string a 6-bit, 12-bit or 32-bit length string.
// Empty when the listpack cannot hold them (65,535 entries or more, 1 GiB or more).
std::string listpack_hash(std::span<const field_value> fields);

// A hash as a RESTORE payload of type 16 (listpack, Redis 7.0 and later): the listpack of
// listpack_hash as one raw string, format version 10 (older servers refuse it), CRC-64. Redis
// keeps it a listpack whatever the lengths of the values, unless there are more pairs than
// hash-max-listpack-entries. Empty when listpack_hash is; the caller sends each field once
// (Redis checks duplicates only when it sanitises payloads deeply).
std::string dump_hash_listpack(std::span<const field_value> fields);

// The listpack inside a DUMP payload of a hash of type 16 or of a list of type 18 (quicklist
// with one packed node), LZF-compressed or not; false for anything else.
bool read_dump_listpack(std::string_view payload, std::string& listpack);

// The field/value pairs of a DUMP of a hash in Redis 7's listpack encoding (type 16), also when
// Redis compressed it (LZF). false for anything else (another type or encoding, an integer
// entry, a wrong checksum, a truncated payload): the caller then uses commands instead.
bool read_hash_dump(std::string_view payload, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace policy::detail
