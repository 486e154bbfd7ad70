// The CSV reader of smsgwctl: quoting, BOM, line ends, blank lines, oversized records, line
// numbers (what the rejects file reports).

#include <gtest/gtest.h>

#include <sstream>

#include "tools/smsgwctl/csv_reader.hpp"

namespace {

using smsgwctl::csv_reader;
using smsgwctl::csv_record;

struct item {
  csv_reader::status st;
  std::int64_t line;
  std::vector<std::string> fields;
  std::string error;
};

std::vector<item> read_all(const std::string& text, std::size_t max = 64 * 1024) {
  std::istringstream in(text);
  csv_reader r(in, ',', max);
  std::vector<item> out;
  csv_record rec;
  std::string err;
  for (int guard = 0; guard < 1000; ++guard) {
    auto st = r.next(rec, err);
    if (st == csv_reader::status::end) break;
    out.push_back({st, rec.line, rec.fields, st == csv_reader::status::error ? err : ""});
  }
  return out;
}

using fields = std::vector<std::string>;

TEST(CsvReader, PlainRecordsWithLfAndCrlfAndCr) {
  auto v = read_all("a,b\nc,d\r\ne,f\rg");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].fields, (fields{"a", "b"}));
  EXPECT_EQ(v[1].fields, (fields{"c", "d"}));
  EXPECT_EQ(v[2].fields, (fields{"e", "f"}));
  EXPECT_EQ(v[3].fields, (fields{"g"}));
  EXPECT_EQ(v[3].line, 4);
}

TEST(CsvReader, SkipsByteOrderMarkAndBlankLinesButCountsThem) {
  auto v = read_all("\xEF\xBB\xBFnumber\r\n\r\n   \r\n+14155550100\n\n");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].fields, (fields{"number"}));
  EXPECT_EQ(v[1].fields, (fields{"+14155550100"}));
  EXPECT_EQ(v[1].line, 4);
}

TEST(CsvReader, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  auto v = read_all("\"+1 (415) 555-0100\",\"Smith, \"\"Jo\"\"\"\n\"two\r\nlines\",x\nnext,\"\"\n");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].fields, (fields{"+1 (415) 555-0100", "Smith, \"Jo\""}));
  EXPECT_EQ(v[1].fields, (fields{"two\r\nlines", "x"}));
  EXPECT_EQ(v[1].line, 2);
  EXPECT_EQ(v[2].fields, (fields{"next", ""}));
  EXPECT_EQ(v[2].line, 4);  // the quoted line break counts
}

TEST(CsvReader, EmptyFieldsAndAQuoteInsideAnUnquotedField) {
  auto v = read_all(",a,,\n5'11\" tall,b\n");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].fields, (fields{"", "a", "", ""}));
  EXPECT_EQ(v[1].fields, (fields{"5'11\" tall", "b"}));
}

TEST(CsvReader, AnOversizedRecordIsAnErrorAndReadingGoesOn) {
  std::string big(10 * 1024 * 1024, '9');
  auto v = read_all("+14155550100\n" + big + ",x\n+14155550101\n");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1].st, csv_reader::status::error);
  EXPECT_EQ(v[1].line, 2);
  EXPECT_NE(v[1].error.find("longer than 65536 bytes"), std::string::npos);
  EXPECT_TRUE(v[1].fields.empty() || v[1].fields[0].size() < 70000);  // never held in memory
  EXPECT_EQ(v[2].fields, (fields{"+14155550101"}));
  EXPECT_EQ(v[2].line, 3);
}

TEST(CsvReader, UnterminatedQuoteAndGarbageAfterAClosingQuote) {
  auto v = read_all("\"a\"b,c\nok\n\"never closed\n");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].st, csv_reader::status::error);
  EXPECT_NE(v[0].error.find("after a closing quote"), std::string::npos);
  EXPECT_EQ(v[1].fields, (fields{"ok"}));
  EXPECT_EQ(v[1].line, 2);
  EXPECT_EQ(v[2].st, csv_reader::status::error);
  EXPECT_EQ(v[2].line, 3);
  EXPECT_NE(v[2].error.find("unterminated"), std::string::npos);
}

TEST(CsvReader, EscapeRoundTrips) {
  for (std::string s : {"plain", "+14155550100", "a,b", "say \"hi\"", "two\nlines", ""}) {
    std::istringstream in(smsgwctl::csv_escape(s) + ",end\n");
    csv_reader r(in);
    csv_record rec;
    std::string err;
    ASSERT_EQ(r.next(rec, err), csv_reader::status::record) << s;
    EXPECT_EQ(rec.fields, (fields{s, "end"})) << s;
  }
  EXPECT_EQ(smsgwctl::csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(smsgwctl::csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
}

}  // namespace
