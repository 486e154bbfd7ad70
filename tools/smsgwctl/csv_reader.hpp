#pragma once

// A streaming CSV reader for operator files (imports, clean): RFC 4180 quoting ("a ""b""",
// newlines inside quotes), a UTF-8 byte order mark, CRLF / LF / CR line ends, blank lines
// skipped, and a record size limit: a longer record (a 10 MB line) is reported as an error and
// skipped without being held in memory. Pure: reads from any std::istream, no other I/O.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace smsgwctl {

struct csv_record {
  std::int64_t line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

class csv_reader {
 public:
  enum class status { record, error, end };

  explicit csv_reader(std::istream& in, char delimiter = ',', std::size_t max_record_bytes = 64 * 1024);

  // The next non-blank record. On `error`, `error_message` says why, `out.line` where the bad
  // record starts; reading continues after it with the next call.
  status next(csv_record& out, std::string& error_message);

  // Bytes consumed so far (for progress).
  std::uint64_t bytes_read() const noexcept { return consumed_; }

 private:
  int get();  // next byte or -1
  int peek();
  void skip_rest_of_line();

  std::istream& in_;
  char delim_;
  std::size_t max_bytes_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  std::uint64_t consumed_ = 0;
  std::int64_t line_ = 1;
  bool started_ = false;
};

// One field written for CSV: quoted (quotes doubled) when it holds a comma, a quote, CR or LF.
std::string csv_escape(const std::string& field);

}  // namespace smsgwctl
