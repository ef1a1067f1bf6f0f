// Locating the source tree, the build tree and the copied third-party test data
// (tests/testdata, mirroring the layout of the shared test material).
#ifndef CLEANSWEEP_TESTS_SUPPORT_TESTDATA_H_
#define CLEANSWEEP_TESTS_SUPPORT_TESTDATA_H_

#include <string>

namespace cleansweep::testing {

// $CLEANSWEEP_SOURCE_DIR, set by ctest for every test.
std::string SourceDir();
// $CLEANSWEEP_BINARY_DIR (the build tree).
std::string BinaryDir();
// SourceDir() + "/tests/testdata/" + relative.
std::string TestDataPath(const std::string& relative);
// Whole file as bytes; fails the current test (and returns "") if unreadable.
std::string ReadFileOrDie(const std::string& path);

}  // namespace cleansweep::testing

#endif  // CLEANSWEEP_TESTS_SUPPORT_TESTDATA_H_
