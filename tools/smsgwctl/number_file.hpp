#pragma once

// Shared by import and clean: which CSV column holds what, normalising numbers in parallel,
// remembering which numbers were seen (duplicates) in bounded memory, and a progress line.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/phone_number.hpp"
#include "tools/smsgwctl/csv_reader.hpp"

namespace smsgwctl {

// Column indexes (0-based; -1 = absent) of a number file.
struct column_map {
  bool header = false;  // the first record names the columns
  int number = 0;
  int region = -1;
  int sender = -1;
  int reason = -1;
  int category = -1;
  int source = -1;
  int evidence = -1;
  int at = -1;  // RFC 3339 time of the record (an export's `at` column)
  std::vector<std::string> names;  // header names (or column1, column2, ... without a header)
};

// The first record is a header when none of its fields holds a digit or when one of them is a
// known name (any case):
// number|phone|phone_number|e164|msisdn|mobile|tel|to, region|country, sender, reason, category,
// source, evidence, at. `column` (--column) is a 1-based index or a header name and picks the number
// column. false with `error` when the column cannot be found.
bool map_columns(const csv_record& first, const std::string& column, column_map& out, std::string& error);

// Field i of a record, or "" when the record is shorter.
inline const std::string& field_or_empty(const csv_record& r, int i) {
  static const std::string empty;
  return i >= 0 && static_cast<std::size_t>(i) < r.fields.size() ? r.fields[static_cast<std::size_t>(i)] : empty;
}

// Runs fn(from, to) over [0, n) split across the hardware threads; returns when all are done.
void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn);

// policy::normalize (or, with `full` false, policy::normalize_e164: no time zones or
// jurisdiction) for every (input, region) pair, on all hardware threads; results in order.
std::vector<policy::phone_number_info> normalize_all(const std::vector<std::pair<std::string, std::string>>& inputs,
                                                     bool full = true);

// A set of 64-bit keys (an E.164 as its digits, or a hash with sender/category) in one flat
// table: about 8 bytes a number at most 16.7 million slots (128 MiB); beyond that it stops
// remembering (saturated()) and duplicates are counted by the store as "already stored".
class number_set {
 public:
  number_set();
  // true when the key was not there (and is now).
  bool insert(std::uint64_t key);
  bool saturated() const noexcept { return saturated_; }
  static std::uint64_t key_of(std::string_view e164, std::string_view extra = {});

 private:
  void grow();
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
  bool saturated_ = false;
};

// "\r 123,456 rows  45%  180,000 rows/s  ETA 0:12" on stdout when it is a terminal, at most
// four times a second; finish() ends the line.
class progress {
 public:
  explicit progress(std::uint64_t total_bytes);
  void update(std::uint64_t bytes, std::int64_t rows);
  void finish();

 private:
  bool enabled_;
  std::uint64_t total_;
  double started_;
  double last_ = 0;
};

double seconds_since_epoch();
std::string thousands(std::int64_t n);

}  // namespace smsgwctl
