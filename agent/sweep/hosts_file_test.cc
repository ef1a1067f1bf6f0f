// The hosts-file parser and the protected-domain check on hand-written files:
// Debian's default, a Windows file with CRLF and comments, and the entries
// Mydoom.B wrote (rules/protected_domains.txt cites the lists).
#include "agent/sweep/hosts_file.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::ElementsAre;

const std::vector<std::string> kDomains = {"symantec.com", "mcafee.com", "microsoft.com",
                                           "sophos.com", "f-secure.com"};

TEST(HostsFile, DebianDefaultHasNoProtectedEntry) {
  const char kDebian[] =
      "127.0.0.1\tlocalhost\n"
      "127.0.1.1\tws07.example-corp.test\tws07\n"
      "\n"
      "# The following lines are desirable for IPv6 capable hosts\n"
      "::1     localhost ip6-localhost ip6-loopback\n"
      "ff02::1 ip6-allnodes\n"
      "ff02::2 ip6-allrouters\n";
  HostsFile f = ParseHostsFile(kDebian);
  EXPECT_EQ(f.malformed_lines, 0u);
  ASSERT_EQ(f.entries.size(), 5u);
  EXPECT_EQ(f.entries[1].line, 2u);
  EXPECT_EQ(f.entries[1].address, "127.0.1.1");
  EXPECT_THAT(f.entries[1].names, ElementsAre("ws07.example-corp.test", "ws07"));
  EXPECT_EQ(f.entries[2].line, 5u);
  EXPECT_THAT(f.entries[2].names, ElementsAre("localhost", "ip6-localhost", "ip6-loopback"));
  EXPECT_TRUE(FindProtectedEntries(f, kDomains).empty());
}

TEST(HostsFile, MydoomBEntriesAreFoundWithTheirDomain) {
  const char kMydoomB[] =
      "127.0.0.1 localhost\n"
      "0.0.0.0 ad.doubleclick.net\n"
      "0.0.0.0 download.mcafee.com\n"
      "0.0.0.0 liveupdate.symantec.com\n"
      "0.0.0.0 windowsupdate.microsoft.com\n"
      "0.0.0.0 www.sophos.com\n";
  std::vector<ProtectedHostsEntry> found = FindProtectedEntries(ParseHostsFile(kMydoomB), kDomains);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].line, 3u);
  EXPECT_EQ(found[0].address, "0.0.0.0");
  EXPECT_EQ(found[0].name, "download.mcafee.com");
  EXPECT_EQ(found[0].domain, "mcafee.com");
  EXPECT_EQ(found[1].domain, "symantec.com");
  EXPECT_EQ(found[2].name, "windowsupdate.microsoft.com");
  EXPECT_EQ(found[2].domain, "microsoft.com");
  EXPECT_EQ(found[3].line, 6u);
}

TEST(HostsFile, WindowsFileWithCrlfCommentsAndCase) {
  const char kWindows[] =
      "# Copyright (c) 1993-2009 Microsoft Corp.\r\n"
      "#\r\n"
      "#      102.54.94.97     rhino.acme.com          # source server\r\n"
      "127.0.0.1       localhost\r\n"
      "127.0.0.1 WWW.Symantec.COM. symantec.com # blocked\r\n";
  HostsFile f = ParseHostsFile(kWindows);
  EXPECT_EQ(f.malformed_lines, 0u);
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_THAT(f.entries[1].names, ElementsAre("www.symantec.com", "symantec.com"));
  std::vector<ProtectedHostsEntry> found = FindProtectedEntries(f, kDomains);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].line, 5u);
  EXPECT_EQ(found[0].name, "www.symantec.com");
  EXPECT_EQ(found[1].name, "symantec.com");
}

TEST(HostsFile, OnlyWholeLabelsMatch) {
  HostsFile f = ParseHostsFile(
      "10.0.0.1 notsymantec.com symantec.com.evil.example symantec.co\n"
      "10.0.0.2 a.b.symantec.com\n");
  std::vector<ProtectedHostsEntry> found = FindProtectedEntries(f, {"Symantec.COM."});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "a.b.symantec.com");
  EXPECT_EQ(found[0].domain, "symantec.com");
  EXPECT_TRUE(FindProtectedEntries(f, {""}).empty());
}

TEST(HostsFile, MalformedLinesAreCountedAndSkipped) {
  const std::string long_name(254, 'a');
  HostsFile f = ParseHostsFile(
      "999.1.1.1 bad.example\n"      // not an address
      "10.0.0.1\n"                   // no name
      "not-an-address name\n"        // not an address
      "fe80::1%lo0 zoned.example\n"  // IPv6 with a zone: fine
      "10.0.0.3 " +
      long_name +
      " ok.example\n"  // one name too long: counted, the other kept
      "   \t  # only a comment\n"
      "2001:db8::7 v6.example");  // no final newline
  EXPECT_EQ(f.malformed_lines, 4u);
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[0].address, "fe80::1");
  EXPECT_EQ(f.entries[0].line, 4u);
  EXPECT_THAT(f.entries[1].names, ElementsAre("ok.example"));
  EXPECT_EQ(f.entries[2].line, 7u);
  EXPECT_EQ(f.entries[2].address, "2001:db8::7");
}

TEST(HostsFile, EachNameIsReportedOnceWithItsFirstDomain) {
  HostsFile f = ParseHostsFile("0.0.0.0 update.microsoft.com\n");
  std::vector<ProtectedHostsEntry> found =
      FindProtectedEntries(f, {"update.microsoft.com", "microsoft.com"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].domain, "update.microsoft.com");
}

}  // namespace
}  // namespace cleansweep::agent
