// ParseDmarcReport on inputs built here: one report through every wrapper it
// may arrive in (the content must come out the same), bombs (zip and gzip
// built with libzip and zlib), and malformed or hostile documents (each must
// end in an error that names the file and the place, quickly).
#include "collector/dmarc/dmarc_parser.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::dmarc {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kReport[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>reporter.example</org_name>
    <email>dmarc@reporter.example</email>
    <report_id>r-42</report_id>
    <date_range><begin>1700000000</begin><end>1700086399</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain><adkim>r</adkim><aspf>r</aspf><p>reject</p>
  </policy_published>
  <record>
    <row>
      <source_ip>192.0.2.10</source_ip><count>7</count>
      <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results>
      <dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
      <spf><domain>bounce.example.net</domain><scope>mfrom</scope><result>pass</result></spf>
    </auth_results>
  </record>
  <record>
    <row>
      <source_ip>2001:db8::25</source_ip><count>3</count>
      <policy_evaluated><disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results><spf><domain>example.com</domain><result>fail</result></spf></auth_results>
  </record>
</feedback>
)";

// A report with `body` in place of the records, for small targeted cases.
std::string ReportWith(absl::string_view metadata_extra, absl::string_view body) {
  return absl::StrCat(R"(<?xml version="1.0"?><feedback><report_metadata><org_name>o</org_name>)",
                      metadata_extra,
                      R"(<report_id>i</report_id><date_range><begin>1</begin><end>2</end>)",
                      R"(</date_range></report_metadata><policy_published><domain>example.com)",
                      R"(</domain><p>none</p></policy_published>)", body, "</feedback>");
}

// ---- building archives and mails ----------------------------------------------

// gzip with zlib; `members` splits the input into that many gzip members.
std::string Gzip(absl::string_view data, int members = 1) {
  std::string out;
  const size_t step = data.size() / members + 1;
  for (size_t start = 0; start < data.size(); start += step) {
    const absl::string_view piece = data.substr(start, step);
    z_stream zs{};
    EXPECT_EQ(
        deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
        Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    zs.avail_in = static_cast<uInt>(piece.size());
    char buf[16384];
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = deflate(&zs, Z_FINISH);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END);
    deflateEnd(&zs);
  }
  return out;
}

// A gzip stream of `bytes` zero bytes, built without holding them in memory.
std::string GzipOfZeros(size_t bytes) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::vector<char> zeros(1 << 20, 0);
  std::string out;
  char buf[65536];
  size_t left = bytes;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const size_t n = std::min(left, zeros.size());
    zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
    zs.avail_in = static_cast<uInt>(n);
    left -= n;
    const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = deflate(&zs, flush);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (zs.avail_out == 0);
  }
  deflateEnd(&zs);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string TempPath(absl::string_view name) {
  return absl::StrCat(::testing::TempDir(), "/dmarc_parser_test_", getpid(), "_", name);
}

// A zip archive written by libzip (deflate), entries in order.
std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  const std::string path = TempPath("archive.zip");
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  EXPECT_NE(za, nullptr) << "zip_open error " << err;
  if (za == nullptr) return "";
  for (const auto& [name, data] : entries) {
    zip_source_t* src = zip_source_buffer(za, data.data(), data.size(), 0);
    EXPECT_NE(src, nullptr);
    const zip_int64_t index = zip_file_add(za, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    EXPECT_GE(index, 0) << zip_strerror(za);
    if (index >= 0)
      zip_set_file_compression(za, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 9);
  }
  EXPECT_EQ(zip_close(za), 0) << zip_strerror(za);
  std::string bytes = ReadFile(path);
  std::remove(path.c_str());
  return bytes;
}

std::string Base64Lines(absl::string_view data) {
  const std::string b64 = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&out, b64.substr(i, 76), "\r\n");
  return out;
}

constexpr char kMailHeaders[] =
    "Received: from mx.reporter.example (mx.reporter.example [198.51.100.7])\r\n"
    "\tby mx.example.com with ESMTPS id 1; Wed, 15 Nov 2023 10:00:00 +0000\r\n"
    "From: dmarc@reporter.example\r\n"
    "To: dmarc-rua@example.com\r\n"
    "Subject: Report Domain: example.com Submitter: reporter.example Report-ID: r-42\r\n"
    "Date: Wed, 15 Nov 2023 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n";

// A multipart/mixed mail: a text part, then an attachment.
std::string MailWithAttachment(absl::string_view content_type, absl::string_view filename,
                               absl::string_view data, bool html_first = false) {
  std::string mail = absl::StrCat(kMailHeaders,
                                  "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                                  "This is a multi-part message.\r\n"
                                  "--b1\r\nContent-Type: text/plain\r\n\r\n"
                                  "This is an aggregate report from reporter.example.\r\n");
  if (html_first) {
    absl::StrAppend(&mail,
                    "--b1\r\nContent-Type: text/html\r\n\r\n<html><body>A report"
                    "</body></html>\r\n");
  }
  absl::StrAppend(&mail, "--b1\r\nContent-Type: ", content_type, "; name=\"", filename,
                  "\"\r\nContent-Transfer-Encoding: base64\r\n"
                  "Content-Disposition: attachment; filename=\"",
                  filename, "\"\r\n\r\n", Base64Lines(data), "--b1--\r\n");
  return mail;
}

// ---- one report, every wrapper -----------------------------------------------

void ExpectSameReport(const DmarcReport& r) {
  EXPECT_EQ(r.version, "1.0");
  EXPECT_EQ(r.report_metadata.org_name, "reporter.example");
  EXPECT_EQ(r.report_metadata.email, "dmarc@reporter.example");
  EXPECT_EQ(r.report_metadata.report_id, "r-42");
  EXPECT_EQ(r.report_metadata.date_range.begin, 1700000000);
  EXPECT_EQ(r.report_metadata.date_range.end, 1700086399);
  EXPECT_EQ(r.policy_published.domain, "example.com");
  EXPECT_EQ(r.policy_published.p, "reject");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].row.source_ip, "192.0.2.10");
  EXPECT_EQ(r.records[0].row.count, 7u);
  EXPECT_EQ(r.records[0].row.policy_evaluated.dkim, "pass");
  ASSERT_EQ(r.records[0].auth_results.dkim.size(), 1u);
  EXPECT_EQ(r.records[0].auth_results.dkim[0].selector, "s1");
  ASSERT_EQ(r.records[0].auth_results.spf.size(), 1u);
  EXPECT_EQ(r.records[0].auth_results.spf[0].scope, "mfrom");
  EXPECT_EQ(r.records[1].row.source_ip, "2001:db8::25");
  EXPECT_EQ(r.records[1].row.count, 3u);
  EXPECT_EQ(r.records[1].row.policy_evaluated.disposition, "reject");
  EXPECT_EQ(r.records[1].line, 24);  // of <record>, counted in kReport
}

TEST(DmarcParserTest, PlainXml) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(kReport, "r.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSameReport(*r);
  EXPECT_EQ(r->origin, "r.xml");
  EXPECT_THAT(r->warnings, IsEmpty());
}

TEST(DmarcParserTest, EveryWrapperGivesTheSameReport) {
  const std::string gz = Gzip(kReport);
  const std::string zip =
      Zip({{"reporter.example!example.com!1700000000!1700086399.xml", kReport}});
  struct Case {
    std::string name;
    std::string bytes;
    std::string origin;  // expected
  };
  const std::vector<Case> cases = {
      {"r.xml.gz", gz, "r.xml.gz: gzip content"},
      {"r3.xml.gz", Gzip(kReport, 3), "r3.xml.gz: gzip content"},
      {"r.zip", zip, "r.zip: zip entry 'reporter.example!example.com!1700000000!1700086399.xml'"},
      {"gz.eml", MailWithAttachment("application/gzip", "r.xml.gz", gz),
       "gz.eml: attachment 'r.xml.gz': gzip content"},
      {"zip.eml", MailWithAttachment("application/octet-stream", "r.zip", zip, true),
       "zip.eml: attachment 'r.zip': zip entry "
       "'reporter.example!example.com!1700000000!1700086399.xml'"},
      {"xml.eml", MailWithAttachment("text/xml", "r.xml", kReport), "xml.eml: attachment 'r.xml'"},
      // The whole body is the attachment (Mimecast does this).
      {"single.eml",
       absl::StrCat(kMailHeaders,
                    "Content-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                    Base64Lines(gz)),
       "single.eml: part 1 (application/gzip): gzip content"},
      // Quoted-printable XML, no file name.
      {"qp.eml",
       absl::StrCat(kMailHeaders,
                    "Content-Type: text/xml; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                    absl::StrReplaceAll(kReport, {{"=", "=3D"}, {"\n", "\r\n"}})),
       "qp.eml: part 1 (text/xml)"},
      {"mbox.eml",
       absl::StrCat("From dmarc@reporter.example Wed Nov 15 10:00:00 2023\n",
                    MailWithAttachment("application/gzip", "r.xml.gz", gz)),
       "mbox.eml: attachment 'r.xml.gz': gzip content"},
      // Forwarded: the report mail inside another one.
      {"fwd.eml",
       absl::StrCat(kMailHeaders,
                    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
                    "--outer\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
                    "--outer\r\nContent-Type: message/rfc822\r\n\r\n",
                    MailWithAttachment("application/zip", "r.zip", zip), "\r\n--outer--\r\n"),
       "fwd.eml: attachment 'r.zip': zip entry "
       "'reporter.example!example.com!1700000000!1700086399.xml'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<DmarcReport> r = ParseDmarcReport(c.bytes, c.name);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectSameReport(*r);
    EXPECT_EQ(r->origin, c.origin);
  }
}

TEST(DmarcParserTest, ZipEntriesOtherThanTheReportAreSkipped) {
  const std::string zip =
      Zip({{"__MACOSX/._r.xml", "junk"}, {"notes.txt", "not a report"}, {"r.xml", kReport}});
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(zip, "r.zip");
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSameReport(*r);
  EXPECT_EQ(r->origin, "r.zip: zip entry 'r.xml'");
  EXPECT_THAT(r->warnings, Contains("zip archive: 1 other entry ignored"));
}

// ---- bombs ----------------------------------------------------------------------

TEST(DmarcParserTest, GzipBomb) {
  const std::string bomb = GzipOfZeros(size_t{100} << 20);
  ASSERT_LT(bomb.size(), 200u * 1024);
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(bomb, "bomb.xml.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("bomb.xml.gz: gzip stream expands more than 250 times"));

  DmarcLimits no_ratio;
  no_ratio.max_compression_ratio = 0;
  r = ParseDmarcReport(bomb, "bomb.xml.gz", no_ratio);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bomb.xml.gz: gzip stream expands beyond 64 MiB");
}

TEST(DmarcParserTest, ZipBomb) {
  const std::string zeros(size_t{100} << 20, '\0');
  const std::string bomb = Zip({{"report.xml", zeros}});
  ASSERT_LT(bomb.size(), 200u * 1024);
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(bomb, "bomb.zip");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("bomb.zip: zip entry 'report.xml' expands more than 250 times"));

  DmarcLimits no_ratio;
  no_ratio.max_compression_ratio = 0;
  r = ParseDmarcReport(bomb, "bomb.zip", no_ratio);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bomb.zip: zip entry 'report.xml' expands beyond 64 MiB");

  // The same bomb mailed: the message names every layer.
  r = ParseDmarcReport(MailWithAttachment("application/zip", "r.zip", bomb), "bomb.eml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("bomb.eml: attachment 'r.zip': zip entry 'report.xml' expands"));
}

TEST(DmarcParserTest, ZipWithTooManyEntries) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < 65; ++i) entries.emplace_back(absl::StrCat("r", i, ".xml"), kReport);
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(Zip(entries), "many.zip");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "many.zip: zip archive has 65 entries, more than the 64 allowed");
}

TEST(DmarcParserTest, NestedArchivesAreRefused) {
  const std::string gz = Gzip(kReport);
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(Zip({{"r.xml.gz", gz}}), "nested.zip");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "nested.zip: zip entry 'r.xml.gz': holds another gzip archive; only one level of "
            "archive is accepted");
  r = ParseDmarcReport(Gzip(gz), "twice.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("twice.gz: gzip content: holds another gzip archive"));
  r = ParseDmarcReport(Gzip(Zip({{"r.xml", kReport}})), "zip.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("holds another zip archive"));
}

TEST(DmarcParserTest, DeepNesting) {
  std::string xml = "<feedback>";
  for (int i = 0; i < 100000; ++i) xml += "<x>";
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(xml, "deep.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_EQ(r.status().message(), "deep.xml: line 1: elements nested deeper than 32");
}

TEST(DmarcParserTest, DeeplyNestedMail) {
  std::string mail = kMailHeaders;
  for (int i = 0; i < 2000; ++i) {
    absl::StrAppend(&mail, "Content-Type: multipart/mixed; boundary=\"b", i, "\"\r\n\r\n--b", i,
                    "\r\n");
  }
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(mail, "deep.eml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), StartsWith("deep.eml: mail declares more than"));
}

// "Billion laughs": entities are never defined, so never expanded.
TEST(DmarcParserTest, EntityExpansionNeverHappens) {
  std::string dtd = "<!DOCTYPE feedback [<!ENTITY l0 \"lol\">";
  for (int i = 1; i < 10; ++i) {
    absl::StrAppend(&dtd, "<!ENTITY l", i, " \"");
    for (int k = 0; k < 10; ++k) absl::StrAppend(&dtd, "&l", i - 1, ";");
    absl::StrAppend(&dtd, "\">");
  }
  dtd += "]>";
  const std::string xml =
      absl::StrCat("<?xml version=\"1.0\"?>", dtd,
                   ReportWith("", "").substr(std::string("<?xml version=\"1.0\"?>").size()));
  const std::string laughs = absl::StrReplaceAll(xml, {{"<org_name>o", "<org_name>&l9;"}});
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(laughs, "laughs.xml");
  // The undefined entity makes the document not well-formed; recovered
  // without it.
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report_metadata.org_name, "");
  EXPECT_THAT(r->warnings, Contains(HasSubstr("Entity 'l9' not defined")));
}

TEST(DmarcParserTest, ExternalEntitiesAreNotRead) {
  const std::string xml = absl::StrReplaceAll(
      ReportWith("", ""),
      {{"<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"},
       {"<org_name>o", "<org_name>&x;"}});
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(xml, "xxe.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report_metadata.org_name, "");
}

TEST(DmarcParserTest, HugeInput) {
  const std::string huge(size_t{100} << 20, '<');
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(huge, "huge.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status()));
  EXPECT_EQ(r.status().message(), "huge.xml: file is 100 MiB, larger than the 64 MiB accepted");
}

TEST(DmarcParserTest, HugeFileIsRefusedBeforeReading) {
  const std::string path = TempPath("huge.xml");
  const int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, off_t{100} << 20), 0);  // sparse: nothing to read fast
  close(fd);
  absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            absl::StrCat(path, ": file is 100 MiB, larger than the 64 MiB accepted"));
}

TEST(DmarcParserTest, UnreadableFiles) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReportFile("/nonexistent/r.xml");
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), StartsWith("/nonexistent/r.xml: cannot open"));
  r = ParseDmarcReportFile(::testing::TempDir());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(": not a regular file"));
  // A FIFO nobody writes to: refused, not waited on.
  const std::string fifo = TempPath("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  r = ParseDmarcReportFile(fifo);
  std::remove(fifo.c_str());
  EXPECT_EQ(r.status().message(), fifo + ": not a regular file");
}

// ---- bad input --------------------------------------------------------------------

TEST(DmarcParserTest, EmptyInput) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReport("", "e.xml");
  EXPECT_EQ(r.status().message(), "e.xml: empty file");
  r = ParseDmarcReport(" \r\n\t", "ws.xml");
  EXPECT_EQ(r.status().message(), "ws.xml: file holds only white space");
}

TEST(DmarcParserTest, NotAReport) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReport("%PDF-1.4\n%\xe2\xe3", "r.pdf");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_EQ(r.status().message(),
            "r.pdf: not a DMARC report: neither XML, gzip, zip nor a mail (starts with "
            "25 50 44 46 2d 31 2e 34 (%PDF-1.4))");

  r = ParseDmarcReport("<html><body>hello</body></html>", "page.xml");
  EXPECT_EQ(r.status().message(),
            "page.xml: not a DMARC aggregate report: the document element is <html>, not "
            "<feedback>");

  // Garbage libxml2 cannot recover anything from: the first error's place.
  r = ParseDmarcReport("<?xml version=\"1.0\"?>\n<<<>>>", "junk.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), StartsWith("junk.xml: line 2, column 2: "));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not well-formed XML"));

  // A gzip file containing a PDF.
  r = ParseDmarcReport(Gzip("%PDF-1.4"), "r.xml.gz");
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("r.xml.gz: gzip content: not XML (starts with 25 50 44 46"));
}

TEST(DmarcParserTest, DamagedArchives) {
  const std::string gz = Gzip(kReport);
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(gz.substr(0, gz.size() / 2), "cut.xml.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), StartsWith("cut.xml.gz: gzip data is truncated"));

  std::string damaged = gz;
  for (size_t i = 20; i < 40; ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
  r = ParseDmarcReport(damaged, "bad.xml.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), StartsWith("bad.xml.gz: gzip data is damaged"));

  const std::string zip = Zip({{"r.xml", kReport}});
  r = ParseDmarcReport(zip.substr(0, zip.size() - 30), "cut.zip");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), StartsWith("cut.zip: not a readable zip archive"));

  r = ParseDmarcReport(MailWithAttachment("application/gzip", "r.xml.gz", gz.substr(0, 30)),
                       "cut.eml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("cut.eml: attachment 'r.xml.gz': gzip data is truncated"));
}

TEST(DmarcParserTest, MailWithoutReport) {
  const std::string mail = absl::StrCat(kMailHeaders, "Content-Type: text/plain\r\n\r\nHello\r\n");
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(mail, "hello.eml");
  EXPECT_EQ(r.status().message(),
            "hello.eml: mail holds no DMARC aggregate report (1 part(s), none of them gzip, zip "
            "or XML)");
}

TEST(DmarcParserTest, CapsOnFields) {
  const std::string long_name(100 * 1024, 'a');
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(
      absl::StrReplaceAll(ReportWith("", ""), {{"<org_name>o", "<org_name>" + long_name}}),
      "long.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "long.xml: line 1: text of <org_name> is longer than 64 KiB");

  const std::string record =
      "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>";
  DmarcLimits two;
  two.max_records = 2;
  r = ParseDmarcReport(ReportWith("", record + record), "two.xml", two);
  EXPECT_TRUE(r.ok()) << r.status();
  r = ParseDmarcReport(ReportWith("", record + record + record), "three.xml", two);
  EXPECT_EQ(r.status().message(), "three.xml: line 1: more than 2 records");
}

TEST(DmarcParserTest, RequiredFields) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(
      "<feedback><policy_published><domain>example.com</domain></policy_published></feedback>",
      "nodate.xml");
  EXPECT_EQ(r.status().message(), "nodate.xml: report_metadata: <date_range><begin> is missing");

  r = ParseDmarcReport(
      absl::StrReplaceAll(ReportWith("", ""), {{"<begin>1<", "<begin>yesterday<"}}), "baddate.xml");
  EXPECT_EQ(r.status().message(),
            "baddate.xml: line 1: <begin> 'yesterday' is not a number of seconds");

  r = ParseDmarcReport(absl::StrReplaceAll(ReportWith("", ""), {{"example.com", ""}}),
                       "nodomain.xml");
  EXPECT_EQ(r.status().message(), "nodomain.xml: policy_published: <domain> is missing or empty");
}

TEST(DmarcParserTest, BadRecordsAreLeftOutWithAWarning) {
  const std::string xml =
      ReportWith("",
                 "\n<record><row><source_ip>192.0.2.1</source_ip><count>many</count></row></record>"
                 "\n<record><row><count>2</count></row></record>"
                 "\n<record><row><source_ip>192.0.2.3</source_ip><count>3</count></row></record>");
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(xml, "r.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].row.source_ip, "192.0.2.3");
  EXPECT_THAT(r->warnings,
              ::testing::ElementsAre("record at line 2 left out: <count> 'many' is not a number",
                                     "record at line 3 left out: no <source_ip>"));
}

TEST(DmarcParserTest, NamespacesAndEncodings) {
  // RFC 9990 with a prefix: names match without it.
  const std::string prefixed = absl::StrReplaceAll(
      ReportWith("",
                 "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>"),
      {{"<feedback>", "<d:feedback xmlns:d=\"urn:ietf:params:xml:ns:dmarc-2.0\">"},
       {"</feedback>", "</d:feedback>"},
       {"<record>", "<d:record>"},
       {"</record>", "</d:record>"}});
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(prefixed, "ns.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->xml_namespace, "urn:ietf:params:xml:ns:dmarc-2.0");
  EXPECT_EQ(r->records.size(), 1u);

  // Declared Latin-1: converted to UTF-8, nothing dropped.
  const std::string latin1 = absl::StrReplaceAll(
      ReportWith("", ""),
      {{"<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"},
       {"<org_name>o", "<org_name>Soci\xe9t\xe9"}});
  r = ParseDmarcReport(latin1, "latin1.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report_metadata.org_name, "Soci\xc3\xa9t\xc3\xa9");
  EXPECT_THAT(r->warnings, IsEmpty());

  // UTF-16LE with a byte order mark.
  const std::string ascii =
      absl::StrReplaceAll(ReportWith("", ""), {{"<?xml version=\"1.0\"?>", ""}});
  std::string utf16 = "\xff\xfe";
  for (char c : ascii) {
    utf16 += c;
    utf16 += '\0';
  }
  r = ParseDmarcReport(utf16, "utf16.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->policy_published.domain, "example.com");
}

TEST(DmarcParserTest, SecondMetadataIsIgnored) {
  const std::string xml = absl::StrReplaceAll(
      ReportWith("", ""), {{"</report_metadata>",
                            "</report_metadata><report_metadata><org_name>other</org_name>"
                            "</report_metadata>"}});
  absl::StatusOr<DmarcReport> r = ParseDmarcReport(xml, "r.xml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report_metadata.org_name, "o");
  EXPECT_THAT(r->warnings, Contains(HasSubstr("another <report_metadata> ignored")));
}

}  // namespace
}  // namespace cleansweep::collector::dmarc
