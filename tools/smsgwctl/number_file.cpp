#include "tools/smsgwctl/number_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

namespace smsgwctl {
namespace {

std::string lower_trimmed(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

bool has_digit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_number_name(const std::string& n) {
  return n == "number" || n == "phone" || n == "phone_number" || n == "e164" || n == "msisdn" || n == "mobile" ||
         n == "tel" || n == "to";
}

bool is_known_name(const std::string& n) {
  return is_number_name(n) || n == "region" || n == "country" || n == "sender" || n == "reason" ||
         n == "category" || n == "source" || n == "evidence" || n == "at";
}

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::size_t max_slots = std::size_t{1} << 24;

}  // namespace

bool map_columns(const csv_record& first, const std::string& column, column_map& out, std::string& error) {
  out = column_map{};
  out.header = std::none_of(first.fields.begin(), first.fields.end(), has_digit) ||
               std::any_of(first.fields.begin(), first.fields.end(),
                           [](const std::string& f) { return is_known_name(lower_trimmed(f)); });
  for (std::size_t i = 0; i < first.fields.size(); ++i) {
    out.names.push_back(out.header ? first.fields[i] : "column" + std::to_string(i + 1));
  }
  out.number = -1;
  if (out.header) {
    for (std::size_t i = 0; i < first.fields.size(); ++i) {
      const std::string n = lower_trimmed(first.fields[i]);
      const int idx = static_cast<int>(i);
      if (out.number < 0 && is_number_name(n)) {
        out.number = idx;
      } else if (n == "region" || n == "country") {
        out.region = idx;
      } else if (n == "sender") {
        out.sender = idx;
      } else if (n == "reason") {
        out.reason = idx;
      } else if (n == "category") {
        out.category = idx;
      } else if (n == "source") {
        out.source = idx;
      } else if (n == "evidence") {
        out.evidence = idx;
      } else if (n == "at") {
        out.at = idx;
      }
    }
  }
  if (!column.empty()) {
    const bool numeric = std::all_of(column.begin(), column.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) {
      long idx = std::strtol(column.c_str(), nullptr, 10);
      if (idx < 1 || idx > 10000) {
        error = "--column: \"" + column + "\" must be a column number from 1 or a header name";
        return false;
      }
      out.number = static_cast<int>(idx - 1);
      return true;
    }
    if (!out.header) {
      error = "--column: \"" + column + "\" is a name, but line " + std::to_string(first.line) +
              " is not a header (it holds digits); give the column number instead";
      return false;
    }
    for (std::size_t i = 0; i < first.fields.size(); ++i) {
      if (lower_trimmed(first.fields[i]) == lower_trimmed(column)) {
        out.number = static_cast<int>(i);
        return true;
      }
    }
    error = "--column: no column named \"" + column + "\" in the header on line " + std::to_string(first.line);
    return false;
  }
  if (out.number < 0) {
    if (!out.header || first.fields.size() == 1) {
      out.number = 0;
      return true;
    }
    error = "line " + std::to_string(first.line) +
            ": the header names no number column (number, phone, phone_number, e164, msisdn, mobile, tel, to); "
            "choose one "
            "with --column";
    return false;
  }
  return true;
}

void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
  const std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  if (threads == 1 || n < 256) {
    fn(0, n);
    return;
  }
  const std::size_t per = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) {
    const std::size_t from = std::min(n, t * per);
    const std::size_t to = std::min(n, from + per);
    if (from < to) pool.emplace_back(fn, from, to);
  }
  fn(0, std::min(n, per));
  for (auto& t : pool) t.join();
}

std::vector<policy::phone_number_info> normalize_all(const std::vector<std::pair<std::string, std::string>>& inputs,
                                                     bool full) {
  std::vector<policy::phone_number_info> out(inputs.size());
  parallel_for(inputs.size(), [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      out[i] = full ? policy::normalize(inputs[i].first, inputs[i].second)
                    : policy::normalize_e164(inputs[i].first, inputs[i].second);
    }
  });
  return out;
}

number_set::number_set() : slots_(std::size_t{1} << 16, 0) {}

std::uint64_t number_set::key_of(std::string_view e164, std::string_view extra) {
  std::uint64_t digits = 0;
  for (char c : e164) {
    if (c >= '0' && c <= '9') digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (extra.empty()) return digits;
  return mix(digits ^ mix(std::hash<std::string_view>{}(extra)));
}

bool number_set::insert(std::uint64_t key) {
  if (key == 0) key = 1;  // 0 marks an empty slot
  if (size_ * 4 >= slots_.size() * 3) {
    if (slots_.size() >= max_slots) {
      saturated_ = true;
      std::size_t mask = slots_.size() - 1;
      for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (slots_[i] == key) return false;
        if (slots_[i] == 0) return true;  // full: no longer remembered
      }
    }
    grow();
  }
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == key) return false;
    if (slots_[i] == 0) {
      slots_[i] = key;
      ++size_;
      return true;
    }
  }
}

void number_set::grow() {
  std::vector<std::uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  std::size_t mask = slots_.size() - 1;
  for (std::uint64_t k : old) {
    if (k == 0) continue;
    for (std::size_t i = mix(k) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) {
        slots_[i] = k;
        break;
      }
    }
  }
}

double seconds_since_epoch() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

progress::progress(std::uint64_t total_bytes)
    : enabled_(::isatty(STDOUT_FILENO) == 1), total_(total_bytes), started_(seconds_since_epoch()) {}

void progress::update(std::uint64_t bytes, std::int64_t rows) {
  if (!enabled_) return;
  const double now = seconds_since_epoch();
  if (now - last_ < 0.25) return;
  last_ = now;
  const double elapsed = std::max(0.001, now - started_);
  const double rate = static_cast<double>(rows) / elapsed;
  std::string line = "\r  " + thousands(rows) + " rows";
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
    line += "  " + std::to_string(static_cast<int>(frac * 100)) + "%";
    if (frac > 0.001) {
      const int eta = static_cast<int>(elapsed / frac - elapsed);
      char buf[32];
      std::snprintf(buf, sizeof buf, "  ETA %d:%02d", eta / 60, eta % 60);
      line += "  " + thousands(static_cast<std::int64_t>(rate)) + " rows/s" + buf;
    }
  }
  std::fputs((line + "   ").c_str(), stdout);
  std::fflush(stdout);
}

void progress::finish() {
  if (!enabled_ || last_ == 0) return;
  std::fputs("\n", stdout);
  std::fflush(stdout);
}

}  // namespace smsgwctl
