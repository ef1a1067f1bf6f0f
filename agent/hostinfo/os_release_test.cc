// ParseOsRelease against hand-written os-release(5) files; the expected
// values are what a POSIX shell assigns for each line (checked by hand with
// `. ./file; echo "$PRETTY_NAME"`).
#include "agent/hostinfo/os_release.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(OsReleaseTest, DebianBookwormFilePrettyName) {
  // /etc/os-release of Debian 12, verbatim.
  const char kDebian[] =
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
      "NAME=\"Debian GNU/Linux\"\n"
      "VERSION_ID=\"12\"\n"
      "VERSION=\"12 (bookworm)\"\n"
      "VERSION_CODENAME=bookworm\n"
      "ID=debian\n"
      "HOME_URL=\"https://www.debian.org/\"\n"
      "SUPPORT_URL=\"https://www.debian.org/support\"\n"
      "BUG_REPORT_URL=\"https://bugs.debian.org/\"\n";
  EXPECT_EQ(ParseOsRelease(kDebian), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(ParseOsReleaseFields(kDebian).at("VERSION_CODENAME"), "bookworm");
}

TEST(OsReleaseTest, FallsBackToNameAndVersion) {
  EXPECT_EQ(ParseOsRelease("NAME=Fedora\nVERSION=\"39 (Workstation Edition)\"\n"),
            "Fedora 39 (Workstation Edition)");
  EXPECT_EQ(ParseOsRelease("NAME='Alpine Linux'\n"), "Alpine Linux");
  // An empty PRETTY_NAME does not count as set.
  EXPECT_EQ(ParseOsRelease("PRETTY_NAME=\"\"\nNAME=Arch\nVERSION=rolling\n"), "Arch rolling");
  // os-release(5): NAME defaults to "Linux".
  EXPECT_EQ(ParseOsRelease(""), "Linux");
  EXPECT_EQ(ParseOsRelease("VERSION=1.0\n"), "Linux 1.0");
}

TEST(OsReleaseTest, QuotesAndEscapesFollowShellRules) {
  const char kText[] =
      "A=\"say \\\"hi\\\" \\$HOME \\`x\\` back\\\\slash\"\n"  // A="say \"hi\" \$HOME \`x\` back\\slash"
      "B='single \\n $not \"expanded\"'\n"                    // B='single \n $not "expanded"'
      "C=plain\\ word\n"                                      // C=plain\ word
      "D=\"con\"'cat'enated\n"                                // D="con"'cat'enated
      "E=\"keeps \\n as two characters\"\n"                   // E="keeps \n as ..."
      "F=\n";
  EXPECT_THAT(ParseOsReleaseFields(kText),
              UnorderedElementsAre(Pair("A", "say \"hi\" $HOME `x` back\\slash"),
                                   Pair("B", "single \\n $not \"expanded\""),
                                   Pair("C", "plain word"),
                                   Pair("D", "concatenated"),
                                   Pair("E", "keeps \\n as two characters"),
                                   Pair("F", "")));
}

TEST(OsReleaseTest, CommentsBlankAndMalformedLinesAreSkipped) {
  const char kText[] =
      "# a comment with PRETTY_NAME=\"Wrong\"\n"
      "\n"
      "   \n"
      "no equals sign here\n"
      "BAD KEY=x\n"
      "-DASH=x\n"
      "PRETTY_NAME=\"unterminated\n"
      "NAME='also unterminated\n"
      "TRAILING=back\\\n"
      "  ID=ubuntu  \r\n"
      "NAME=Ubuntu\n"
      "VERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\n";
  EXPECT_THAT(ParseOsReleaseFields(kText),
              UnorderedElementsAre(Pair("ID", "ubuntu"), Pair("NAME", "Ubuntu"),
                                   Pair("VERSION", "22.04.3 LTS (Jammy Jellyfish)")));
  EXPECT_EQ(ParseOsRelease(kText), "Ubuntu 22.04.3 LTS (Jammy Jellyfish)");
}

TEST(OsReleaseTest, LaterAssignmentWins) {
  EXPECT_EQ(ParseOsRelease("PRETTY_NAME=first\nPRETTY_NAME=\"second one\"\n"), "second one");
}

}  // namespace
}  // namespace cleansweep::agent
