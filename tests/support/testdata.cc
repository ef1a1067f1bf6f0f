#include "tests/support/testdata.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace cleansweep::testing {
namespace {
std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}
}  // namespace

std::string SourceDir() { return Env("CLEANSWEEP_SOURCE_DIR", "."); }
std::string BinaryDir() { return Env("CLEANSWEEP_BINARY_DIR", "build"); }
std::string TestDataPath(const std::string& relative) {
  return SourceDir() + "/tests/testdata/" + relative;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cleansweep::testing
