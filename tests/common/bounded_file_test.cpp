#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/bounded_file.hpp"

namespace {

class BoundedFile : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "smsgw-common-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& content) {
    auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(BoundedFile, ReadsAFileUpToTheBound) {
  auto r = common::read_bounded_file(write("k", "secret\n"), 7);
  EXPECT_EQ(r.content, "secret\n");
  EXPECT_EQ(r.error, 0);
  EXPECT_FALSE(r.too_large);
}

TEST_F(BoundedFile, AFileOverTheBoundIsTooLargeAndNothingIsKept) {
  auto r = common::read_bounded_file(write("k", "12345678"), 7);
  EXPECT_TRUE(r.too_large);
  EXPECT_TRUE(r.content.empty());
}

TEST_F(BoundedFile, AnEndlessFileStopsAtTheBound) {
  auto r = common::read_bounded_file("/dev/zero", 4096);
  EXPECT_TRUE(r.too_large);
}

TEST_F(BoundedFile, MissingFilesAndDirectoriesSayWhy) {
  EXPECT_EQ(common::read_bounded_file((dir_ / "none").string(), 10).error, ENOENT);
  EXPECT_EQ(common::read_bounded_file(dir_.string(), 10).error, EISDIR);
}

}  // namespace
