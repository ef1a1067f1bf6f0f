// CollectHostFacts on this machine against independent oracles: iproute2's
// `ip -j addr show` (names, MACs, addresses, up state), `uname -r`,
// `hostname`, and a POSIX shell sourcing /etc/os-release. Plus
// SameHostFacts / CanonicalizeHostFacts / FormatMac on hand-made values.
#include "agent/hostinfo/host_facts.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/agent_runner.h"

namespace cleansweep::agent {
namespace {

using cleansweep::testing::ProcessResult;
using cleansweep::testing::RunProcess;
using cleansweep::v1::HostFacts;
using cleansweep::v1::NetworkInterface;
using ::testing::ElementsAre;

std::string Trimmed(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

// The first of `candidates` that exists and is executable.
std::string FindTool(const std::vector<std::string>& candidates) {
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return std::string();
}

struct OracleInterface {
  std::string mac;
  std::vector<std::string> addresses;  // sorted
  bool up = false;
};

// `ip -j addr show`, parsed: one entry per interface name.
std::map<std::string, OracleInterface> IpAddrShow() {
  std::map<std::string, OracleInterface> out;
  const std::string ip = FindTool({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"});
  if (ip.empty()) {
    ADD_FAILURE() << "iproute2's ip is not installed";
    return out;
  }
  ProcessResult r = RunProcess({ip, "-j", "addr", "show"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  // The output is a JSON array; Struct wants an object around it.
  google::protobuf::Struct root;
  auto st = google::protobuf::util::JsonStringToMessage(absl::StrCat("{\"l\":", r.stdout_text, "}"),
                                                        &root);
  EXPECT_TRUE(st.ok()) << st << "\n" << r.stdout_text;
  if (!st.ok()) return out;
  for (const google::protobuf::Value& v : root.fields().at("l").list_value().values()) {
    const auto& f = v.struct_value().fields();
    OracleInterface itf;
    // iproute2 prints any link-layer address; a tunnel's (e.g. 4 bytes, shown
    // as an IPv4 address) is not a MAC, and the facts carry "" for it.
    if (f.count("address") > 0) {
      const std::string a = f.at("address").string_value();
      const size_t octets = (a.size() + 1) / 3;
      if (octets >= 6 && octets <= 20 && a.size() == octets * 3 - 1) itf.mac = a;
    }
    if (f.count("flags") > 0) {
      for (const auto& flag : f.at("flags").list_value().values()) {
        if (flag.string_value() == "UP") itf.up = true;
      }
    }
    if (f.count("addr_info") > 0) {
      for (const auto& a : f.at("addr_info").list_value().values()) {
        itf.addresses.push_back(a.struct_value().fields().at("local").string_value());
      }
    }
    std::sort(itf.addresses.begin(), itf.addresses.end());
    itf.addresses.erase(std::unique(itf.addresses.begin(), itf.addresses.end()),
                        itf.addresses.end());
    out[f.at("ifname").string_value()] = itf;
  }
  return out;
}

TEST(HostFactsTest, InterfacesMatchIproute2) {
  const HostFacts facts = CollectHostFacts();
  const std::map<std::string, OracleInterface> oracle = IpAddrShow();
  ASSERT_FALSE(oracle.empty());
  std::vector<std::string> names;
  for (const NetworkInterface& itf : facts.interfaces()) names.push_back(itf.name());
  std::vector<std::string> oracle_names;
  for (const auto& [name, itf] : oracle) oracle_names.push_back(name);
  ASSERT_EQ(names, oracle_names);  // same set, and ours sorted by name
  for (const NetworkInterface& itf : facts.interfaces()) {
    SCOPED_TRACE(itf.name());
    const OracleInterface& want = oracle.at(itf.name());
    EXPECT_EQ(itf.mac(), want.mac);
    EXPECT_EQ(std::vector<std::string>(itf.addresses().begin(), itf.addresses().end()),
              want.addresses);
    EXPECT_EQ(itf.up(), want.up);
  }
  // This machine has at least loopback with 127.0.0.1, up.
  ASSERT_TRUE(oracle.count("lo") > 0);
  EXPECT_TRUE(oracle.at("lo").up);
}

TEST(HostFactsTest, HostnameKernelAndOsMatchTheSystemTools) {
  const HostFacts facts = CollectHostFacts();
  ProcessResult uname = RunProcess({FindTool({"/usr/bin/uname", "/bin/uname"}), "-r"});
  ASSERT_EQ(uname.exit_code, 0) << uname.stderr_text;
  EXPECT_EQ(facts.kernel(), Trimmed(uname.stdout_text));
  ProcessResult hostname = RunProcess({FindTool({"/usr/bin/hostname", "/bin/hostname"})});
  ASSERT_EQ(hostname.exit_code, 0) << hostname.stderr_text;
  EXPECT_EQ(facts.hostname(), Trimmed(hostname.stdout_text));
  if (access("/etc/os-release", R_OK) == 0) {
    // The shell is the reference implementation of the file's syntax.
    ProcessResult sh = RunProcess(
        {"/bin/sh", "-c", ". /etc/os-release; printf '%s' \"${PRETTY_NAME:-$NAME $VERSION}\""});
    ASSERT_EQ(sh.exit_code, 0) << sh.stderr_text;
    EXPECT_EQ(facts.os(), Trimmed(sh.stdout_text));
  }
  EXPECT_FALSE(facts.os().empty());
}

TEST(HostFactsTest, TimeIsNow) {
  const absl::Time before = absl::Now();
  const HostFacts facts = CollectHostFacts();
  const absl::Time after = absl::Now();
  const absl::Time t =
      absl::FromUnixSeconds(facts.time().seconds()) + absl::Nanoseconds(facts.time().nanos());
  EXPECT_GE(t, before);
  EXPECT_LE(t, after);
}

HostFacts Sample() {
  HostFacts f;
  f.set_hostname("ws-7");
  f.set_os("Debian GNU/Linux 12 (bookworm)");
  f.set_kernel("6.1.0-13-amd64");
  NetworkInterface* eth = f.add_interfaces();
  eth->set_name("eth0");
  eth->set_mac("02:fc:00:00:00:01");
  eth->add_addresses("192.0.2.2");
  eth->set_up(true);
  f.mutable_time()->set_seconds(1700000000);
  return f;
}

TEST(HostFactsTest, SameHostFactsIgnoresOnlyTime) {
  HostFacts a = Sample();
  HostFacts b = Sample();
  b.mutable_time()->set_seconds(1700009999);
  EXPECT_TRUE(SameHostFacts(a, b));
  b.mutable_interfaces(0)->add_addresses("192.0.2.3");
  EXPECT_FALSE(SameHostFacts(a, b));
  b = Sample();
  b.mutable_interfaces(0)->set_up(false);
  EXPECT_FALSE(SameHostFacts(a, b));
  b = Sample();
  b.mutable_interfaces(0)->set_mac("02:fc:00:00:00:02");
  EXPECT_FALSE(SameHostFacts(a, b));
  b = Sample();
  b.set_hostname("ws-8");
  EXPECT_FALSE(SameHostFacts(a, b));
  b = Sample();
  b.set_kernel("6.1.0-14-amd64");
  EXPECT_FALSE(SameHostFacts(a, b));
  b = Sample();
  b.add_interfaces()->set_name("wlan0");
  EXPECT_FALSE(SameHostFacts(a, b));
}

TEST(HostFactsTest, CanonicalizeSortsInterfacesAndAddresses) {
  HostFacts f;
  NetworkInterface* w = f.add_interfaces();
  w->set_name("wlan0");
  w->add_addresses("fe80::1");
  w->add_addresses("10.0.0.9");
  w->add_addresses("10.0.0.10");
  w->add_addresses("10.0.0.9");
  f.add_interfaces()->set_name("eth0");
  CanonicalizeHostFacts(&f);
  ASSERT_EQ(f.interfaces_size(), 2);
  EXPECT_EQ(f.interfaces(0).name(), "eth0");
  EXPECT_THAT(f.interfaces(1).addresses(), ElementsAre("10.0.0.10", "10.0.0.9", "fe80::1"));
}

TEST(HostFactsTest, FitToLimitsKeepsWhatTheCollectorAccepts) {
  HostFacts f = Sample();
  f.set_os("Distro \xc3\xa9" "dition\t1");  // UTF-8 and a tab
  f.set_hostname(std::string(300, 'h'));
  NetworkInterface* tun = f.add_interfaces();
  tun->set_name("tun0");
  tun->set_mac("0a:00:00:01");  // a tunnel's 4-byte link address
  for (int i = 0; i < 70; ++i) tun->add_addresses(absl::StrCat("10.9.0.", i));
  NetworkInterface* ib = f.add_interfaces();
  ib->set_name("ib0");
  ib->set_mac(std::string("80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c"));
  FitHostFactsToLimits(&f);
  EXPECT_EQ(f.os(), "Distro ??dition?1");
  EXPECT_EQ(f.hostname(), std::string(255, 'h'));
  EXPECT_EQ(f.interfaces(0).mac(), "02:fc:00:00:00:01");  // 6 octets kept
  EXPECT_EQ(f.interfaces(1).mac(), "");                   // 4 octets dropped
  EXPECT_EQ(f.interfaces(1).addresses_size(), 64);
  EXPECT_EQ(f.interfaces(1).addresses(63), "10.9.0.63");
  EXPECT_EQ(f.interfaces(2).mac().size(), 59u);           // 20 octets (IPoIB) kept
}

TEST(HostFactsTest, FormatMacIsLowerCaseColonSeparated) {
  const uint8_t mac[] = {0x00, 0x1A, 0x2b, 0xFF, 0x09, 0x80};
  EXPECT_EQ(FormatMac(mac, 6), "00:1a:2b:ff:09:80");
  EXPECT_EQ(FormatMac(mac, 0), "");
}

}  // namespace
}  // namespace cleansweep::agent
