// Builds tiny ELF files with the system gcc for the analyze unit tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace strata::analyze::test {

class Tree {
 public:
  Tree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-analyze-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = pattern;
  }
  ~Tree() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(*this / name).parent_path());
    std::ofstream(*this / name, std::ios::binary) << text;
  }
  // Compiles C `source` into `out` (inside the tree) with gcc `flags`; true on success.
  [[nodiscard]] bool cc(const std::string& out, const std::string& source, const std::string& flags) const {
    write("src.c", source);
    std::filesystem::create_directories(std::filesystem::path(*this / out).parent_path());
    const std::string command =
        "gcc -o '" + (*this / out) + "' '" + (*this / "src.c") + "' " + flags + " 2>&1";
    return std::system(command.c_str()) == 0;
  }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace strata::analyze::test
