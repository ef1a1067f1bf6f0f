#include "collector/dmarc/xml_report.h"

#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <array>
#include <climits>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/dmarc/decompress.h"
#include "collector/dmarc/xml_encoding.h"

namespace cleansweep::collector::dmarc {
namespace {

// What an element means, decided from its parent's kind and its local name.
// clang-format off
enum class Kind : uint8_t {
  kTop,       // parent of the document element
  kWrapper,   // a document element other than <feedback>
  kUnknown,   // skipped with its subtree
  kFeedback, kVersion,
  kMeta, kOrgName, kEmail, kExtraContact, kReportId, kDateRange, kBegin, kEnd, kError, kGenerator,
  kPolicy, kPolDomain, kAdkim, kAspf, kP, kSp, kNp, kPct, kFo, kTesting, kDiscovery,
  kVersionPublished,
  kRecord, kRow, kSourceIp, kCount, kEvaluated, kDisposition, kEvalDkim, kEvalSpf, kReason,
  kReasonType, kReasonComment,
  kIdentifiers, kHeaderFrom, kEnvelopeFrom, kEnvelopeTo,
  kAuthResults, kDkim, kDkimDomain, kDkimSelector, kDkimResult, kDkimHuman,
  kSpf, kSpfDomain, kSpfScope, kSpfResult, kSpfHuman,
  kExtensions, kExtension,
  kNumKinds,  // not a kind: their number
};

constexpr uint8_t kLeaf = 1;   // its text is kept
constexpr uint8_t kToken = 2;  // an enumerated value, lowercased when kept

struct Transition {
  Kind parent;
  const char* name;
  Kind child;
  uint8_t flags;
};

// The schema, as far as it is read: RFC 7489 appendix C and RFC 9990
// appendix A. "identities" is the pre-RFC draft's name for "identifiers".
constexpr Transition kTransitions[] = {
    {Kind::kFeedback, "version", Kind::kVersion, kLeaf},
    {Kind::kFeedback, "report_metadata", Kind::kMeta, 0},
    {Kind::kFeedback, "policy_published", Kind::kPolicy, 0},
    {Kind::kFeedback, "record", Kind::kRecord, 0},
    {Kind::kFeedback, "extensions", Kind::kExtensions, 0},
    {Kind::kMeta, "org_name", Kind::kOrgName, kLeaf},
    {Kind::kMeta, "email", Kind::kEmail, kLeaf},
    {Kind::kMeta, "extra_contact_info", Kind::kExtraContact, kLeaf},
    {Kind::kMeta, "report_id", Kind::kReportId, kLeaf},
    {Kind::kMeta, "date_range", Kind::kDateRange, 0},
    {Kind::kMeta, "error", Kind::kError, kLeaf},
    {Kind::kMeta, "generator", Kind::kGenerator, kLeaf},
    {Kind::kDateRange, "begin", Kind::kBegin, kLeaf},
    {Kind::kDateRange, "end", Kind::kEnd, kLeaf},
    {Kind::kPolicy, "domain", Kind::kPolDomain, kLeaf},
    {Kind::kPolicy, "adkim", Kind::kAdkim, kLeaf | kToken},
    {Kind::kPolicy, "aspf", Kind::kAspf, kLeaf | kToken},
    {Kind::kPolicy, "p", Kind::kP, kLeaf | kToken},
    {Kind::kPolicy, "sp", Kind::kSp, kLeaf | kToken},
    {Kind::kPolicy, "np", Kind::kNp, kLeaf | kToken},
    {Kind::kPolicy, "pct", Kind::kPct, kLeaf},
    {Kind::kPolicy, "fo", Kind::kFo, kLeaf},
    {Kind::kPolicy, "testing", Kind::kTesting, kLeaf | kToken},
    {Kind::kPolicy, "discovery_method", Kind::kDiscovery, kLeaf | kToken},
    {Kind::kPolicy, "version_published", Kind::kVersionPublished, kLeaf},
    {Kind::kRecord, "row", Kind::kRow, 0},
    {Kind::kRecord, "identifiers", Kind::kIdentifiers, 0},
    {Kind::kRecord, "identities", Kind::kIdentifiers, 0},
    {Kind::kRecord, "auth_results", Kind::kAuthResults, 0},
    {Kind::kRecord, "extensions", Kind::kExtensions, 0},
    {Kind::kRow, "source_ip", Kind::kSourceIp, kLeaf},
    {Kind::kRow, "count", Kind::kCount, kLeaf},
    {Kind::kRow, "policy_evaluated", Kind::kEvaluated, 0},
    {Kind::kEvaluated, "disposition", Kind::kDisposition, kLeaf | kToken},
    {Kind::kEvaluated, "dkim", Kind::kEvalDkim, kLeaf | kToken},
    {Kind::kEvaluated, "spf", Kind::kEvalSpf, kLeaf | kToken},
    {Kind::kEvaluated, "reason", Kind::kReason, 0},
    {Kind::kReason, "type", Kind::kReasonType, kLeaf | kToken},
    {Kind::kReason, "comment", Kind::kReasonComment, kLeaf},
    {Kind::kIdentifiers, "header_from", Kind::kHeaderFrom, kLeaf},
    {Kind::kIdentifiers, "envelope_from", Kind::kEnvelopeFrom, kLeaf},
    {Kind::kIdentifiers, "envelope_to", Kind::kEnvelopeTo, kLeaf},
    {Kind::kAuthResults, "dkim", Kind::kDkim, 0},
    {Kind::kAuthResults, "spf", Kind::kSpf, 0},
    {Kind::kDkim, "domain", Kind::kDkimDomain, kLeaf},
    {Kind::kDkim, "selector", Kind::kDkimSelector, kLeaf},
    {Kind::kDkim, "result", Kind::kDkimResult, kLeaf | kToken},
    {Kind::kDkim, "human_result", Kind::kDkimHuman, kLeaf},
    {Kind::kSpf, "domain", Kind::kSpfDomain, kLeaf},
    {Kind::kSpf, "scope", Kind::kSpfScope, kLeaf | kToken},
    {Kind::kSpf, "result", Kind::kSpfResult, kLeaf | kToken},
    {Kind::kSpf, "human_result", Kind::kSpfHuman, kLeaf},
    {Kind::kExtensions, "extension", Kind::kExtension, 0},
};
// clang-format on

// Flags by kind, from the table.
constexpr std::array<uint8_t, static_cast<size_t>(Kind::kNumKinds)> kKindFlags = [] {
  std::array<uint8_t, static_cast<size_t>(Kind::kNumKinds)> flags{};
  for (const Transition& t : kTransitions) flags[static_cast<size_t>(t.child)] = t.flags;
  return flags;
}();

bool IsLeaf(Kind k) { return (kKindFlags[static_cast<size_t>(k)] & kLeaf) != 0; }
bool IsToken(Kind k) { return (kKindFlags[static_cast<size_t>(k)] & kToken) != 0; }

const char* ElementName(Kind k) {
  for (const Transition& t : kTransitions) {
    if (t.child == k) return t.name;
  }
  return k == Kind::kFeedback ? "feedback" : "?";
}

struct Frame {
  Kind kind;
  std::string text;  // leaves only
  int line;
};

// A number field and what happened to it.
struct NumberField {
  bool seen = false;
  bool ok = false;
  std::string text;
  int line = 0;
};

constexpr size_t kMaxWarnings = 20;

// Everything one parse pass accumulates; the callbacks' user data.
class SaxState {
 public:
  SaxState(xmlParserCtxtPtr ctxt, const DmarcLimits& limits) : ctxt_(ctxt), limits_(limits) {}

  void StartElement(absl::string_view name, absl::string_view uri, int nb_attributes,
                    const xmlChar** attributes);
  void EndElement();
  void Characters(const char* text, int len);
  void OnXmlError(const xmlError& e);

  // Closes what the parser left open (recover mode stops at the end of input
  // without end tags) and checks the required fields.
  absl::StatusOr<DmarcReport> Finish();

  bool stopped() const { return !stop_.ok(); }
  const absl::Status& stop_status() const { return stop_; }
  bool has_xml_error() const { return xml_errors_ > 0; }
  int xml_errors() const { return xml_errors_; }
  // "line 5, column 18: error parsing attribute name"
  const std::string& first_xml_error() const { return first_xml_error_; }

 private:
  int Line() const { return xmlSAX2GetLineNumber(ctxt_); }
  int Column() const { return xmlSAX2GetColumnNumber(ctxt_); }
  // libxml2's own count of open elements. In recover mode it drops an
  // element whose start tag is broken without an end-element callback; the
  // callbacks re-synchronise the frame stack with it.
  size_t ParserDepth() const { return ctxt_->nameNr < 0 ? 0 : static_cast<size_t>(ctxt_->nameNr); }
  void Resync(size_t depth) {
    while (frames_.size() > depth && !stopped()) EndFrame();
  }
  void Stop(absl::Status status) {
    if (stop_.ok()) stop_ = std::move(status);
    xmlStopParser(ctxt_);
  }
  void Warn(std::string message) {
    if (report_.warnings.size() < kMaxWarnings) {
      report_.warnings.push_back(std::move(message));
    } else {
      ++suppressed_warnings_;
    }
  }
  bool CountItem() {
    if (++list_items_ > limits_.max_list_items) {
      Stop(absl::ResourceExhaustedError(
          absl::StrCat("line ", Line(), ": more than ", limits_.max_list_items,
                       " auth results, reasons, errors and extensions")));
      return false;
    }
    return true;
  }
  Kind ChildKind(Kind parent, absl::string_view name);
  void OpenFrame(Kind kind, int nb_attributes, const xmlChar** attributes);
  void EndFrame();
  void StoreLeaf(Kind kind, std::string text, int line);
  void EndRecord(int line);
  Record& record() { return report_.records.back(); }

  xmlParserCtxtPtr ctxt_;
  const DmarcLimits& limits_;
  std::vector<Frame> frames_;
  DmarcReport report_;
  absl::Status stop_;
  std::string root_name_;
  bool feedback_seen_ = false;
  bool meta_seen_ = false;
  bool policy_seen_ = false;
  int open_records_ = 0;
  size_t list_items_ = 0;
  size_t suppressed_warnings_ = 0;
  size_t dropped_records_ = 0;
  NumberField begin_, end_;
  // The record being read.
  NumberField count_;
  bool source_seen_ = false;
  int xml_errors_ = 0;
  std::string first_xml_error_;
};

Kind SaxState::ChildKind(Kind parent, absl::string_view name) {
  if (parent == Kind::kTop) {
    root_name_ = std::string(name);
    return name == "feedback" ? Kind::kFeedback : Kind::kWrapper;
  }
  if (parent == Kind::kWrapper) {
    if (name == "feedback" && !feedback_seen_) {
      Warn(absl::StrCat("the report is wrapped in <", root_name_, ">"));
      return Kind::kFeedback;
    }
    return Kind::kUnknown;
  }
  if (parent == Kind::kUnknown || IsLeaf(parent)) return Kind::kUnknown;
  for (const Transition& t : kTransitions) {
    if (t.parent == parent && name == t.name) return t.child;
  }
  return Kind::kUnknown;
}

void SaxState::StartElement(absl::string_view name, absl::string_view uri, int nb_attributes,
                            const xmlChar** attributes) {
  if (stopped()) return;
  Resync(ParserDepth());
  if (stopped()) return;
  if (frames_.size() >= static_cast<size_t>(limits_.max_xml_depth)) {
    Stop(absl::ResourceExhaustedError(
        absl::StrCat("line ", Line(), ": elements nested deeper than ", limits_.max_xml_depth)));
    return;
  }
  const Kind parent = frames_.empty() ? Kind::kTop : frames_.back().kind;
  Kind kind = ChildKind(parent, name);
  if (kind == Kind::kFeedback) {
    feedback_seen_ = true;
    report_.xml_namespace = std::string(uri);
  } else if (kind == Kind::kMeta || kind == Kind::kPolicy) {
    bool& seen = kind == Kind::kMeta ? meta_seen_ : policy_seen_;
    if (seen) {
      Warn(absl::StrCat("line ", Line(), ": another <", name, "> ignored"));
      kind = Kind::kUnknown;
    }
    seen = true;
  }
  OpenFrame(kind, nb_attributes, attributes);
}

void SaxState::OpenFrame(Kind kind, int nb_attributes, const xmlChar** attributes) {
  const int line = Line();
  switch (kind) {
    case Kind::kRecord:
      if (report_.records.size() >= limits_.max_records) {
        Stop(absl::ResourceExhaustedError(
            absl::StrCat("line ", line, ": more than ", limits_.max_records, " records")));
        return;
      }
      report_.records.emplace_back();
      record().line = line;
      ++open_records_;
      count_ = NumberField();
      source_seen_ = false;
      break;
    case Kind::kReason:
      if (!CountItem()) return;
      record().row.policy_evaluated.reasons.emplace_back();
      break;
    case Kind::kDkim:
      if (!CountItem()) return;
      record().auth_results.dkim.emplace_back();
      break;
    case Kind::kSpf:
      if (!CountItem()) return;
      record().auth_results.spf.emplace_back();
      break;
    case Kind::kExtension: {
      if (!CountItem()) return;
      Extension ext;
      for (int i = 0; i < nb_attributes; ++i) {
        const char* local = reinterpret_cast<const char*>(attributes[5 * i]);
        const char* begin = reinterpret_cast<const char*>(attributes[5 * i + 3]);
        const char* end = reinterpret_cast<const char*>(attributes[5 * i + 4]);
        if (local == nullptr || begin == nullptr || end == nullptr || end < begin) continue;
        std::string value(begin, static_cast<size_t>(end - begin));
        if (value.size() > limits_.max_field_bytes) value.resize(limits_.max_field_bytes);
        if (std::strcmp(local, "name") == 0) ext.name = std::move(value);
        if (std::strcmp(local, "definition") == 0) ext.definition = std::move(value);
      }
      (open_records_ > 0 ? record().extensions : report_.extensions).push_back(std::move(ext));
      break;
    }
    default:
      break;
  }
  frames_.push_back(Frame{kind, std::string(), line});
}

void SaxState::EndElement() {
  if (stopped()) return;
  // The element ending is the parser's innermost open one.
  const size_t depth = ParserDepth();
  Resync(depth);
  if (!stopped() && !frames_.empty() && frames_.size() == depth) EndFrame();
}

void SaxState::EndFrame() {
  Frame frame = std::move(frames_.back());
  frames_.pop_back();
  if (IsLeaf(frame.kind)) {
    StoreLeaf(frame.kind, std::move(frame.text), frame.line);
  } else if (frame.kind == Kind::kRecord) {
    EndRecord(frame.line);
  }
}

void SaxState::Characters(const char* text, int len) {
  if (stopped() || len <= 0) return;
  Resync(ParserDepth());
  if (frames_.empty() || !IsLeaf(frames_.back().kind)) return;
  Frame& f = frames_.back();
  if (f.text.size() + static_cast<size_t>(len) > limits_.max_field_bytes) {
    Stop(absl::ResourceExhaustedError(absl::StrCat("line ", f.line, ": text of <",
                                                   ElementName(f.kind), "> is longer than ",
                                                   HumanBytes(limits_.max_field_bytes))));
    return;
  }
  f.text.append(text, static_cast<size_t>(len));
}

void SaxState::StoreLeaf(Kind kind, std::string raw, int line) {
  std::string text(absl::StripAsciiWhitespace(raw));
  if (IsToken(kind)) absl::AsciiStrToLower(&text);
  ReportMetadata& meta = report_.report_metadata;
  PolicyPublished& policy = report_.policy_published;
  switch (kind) {
    case Kind::kVersion:
      report_.version = std::move(text);
      return;
    case Kind::kOrgName:
      meta.org_name = std::move(text);
      return;
    case Kind::kEmail:
      meta.email = std::move(text);
      return;
    case Kind::kExtraContact:
      meta.extra_contact_info = std::move(text);
      return;
    case Kind::kReportId:
      meta.report_id = std::move(text);
      return;
    case Kind::kGenerator:
      meta.generator = std::move(text);
      return;
    case Kind::kError:
      if (CountItem()) meta.errors.push_back(std::move(text));
      return;
    case Kind::kBegin:
    case Kind::kEnd: {
      NumberField& f = kind == Kind::kBegin ? begin_ : end_;
      int64_t& value = kind == Kind::kBegin ? meta.date_range.begin : meta.date_range.end;
      f.seen = true;
      f.line = line;
      f.ok = absl::SimpleAtoi(text, &value);
      f.text = std::move(text);
      return;
    }
    case Kind::kPolDomain:
      policy.domain = std::move(text);
      return;
    case Kind::kAdkim:
      policy.adkim = std::move(text);
      return;
    case Kind::kAspf:
      policy.aspf = std::move(text);
      return;
    case Kind::kP:
      policy.p = std::move(text);
      return;
    case Kind::kSp:
      policy.sp = std::move(text);
      return;
    case Kind::kNp:
      policy.np = std::move(text);
      return;
    case Kind::kPct:
      policy.pct = std::move(text);
      return;
    case Kind::kFo:
      policy.fo = std::move(text);
      return;
    case Kind::kTesting:
      policy.testing = std::move(text);
      return;
    case Kind::kDiscovery:
      policy.discovery_method = std::move(text);
      return;
    case Kind::kVersionPublished:
      policy.version_published = std::move(text);
      return;
    default:
      break;
  }
  // The rest belongs to the open record (the transitions guarantee one).
  if (open_records_ <= 0 || report_.records.empty()) return;
  Record& r = record();
  switch (kind) {
    case Kind::kSourceIp:
      source_seen_ = true;
      r.row.source_ip = std::move(text);
      return;
    case Kind::kCount: {
      count_.seen = true;
      count_.line = line;
      count_.ok = absl::SimpleAtoi(text, &r.row.count);
      count_.text = std::move(text);
      return;
    }
    case Kind::kDisposition:
      r.row.policy_evaluated.disposition = std::move(text);
      return;
    case Kind::kEvalDkim:
      r.row.policy_evaluated.dkim = std::move(text);
      return;
    case Kind::kEvalSpf:
      r.row.policy_evaluated.spf = std::move(text);
      return;
    case Kind::kReasonType:
      if (!r.row.policy_evaluated.reasons.empty()) {
        r.row.policy_evaluated.reasons.back().type = std::move(text);
      }
      return;
    case Kind::kReasonComment:
      if (!r.row.policy_evaluated.reasons.empty()) {
        r.row.policy_evaluated.reasons.back().comment = std::move(text);
      }
      return;
    case Kind::kHeaderFrom:
      r.identifiers.header_from = std::move(text);
      return;
    case Kind::kEnvelopeFrom:
      r.identifiers.envelope_from = std::move(text);
      return;
    case Kind::kEnvelopeTo:
      r.identifiers.envelope_to = std::move(text);
      return;
    default:
      break;
  }
  if (kind == Kind::kDkimDomain || kind == Kind::kDkimSelector || kind == Kind::kDkimResult ||
      kind == Kind::kDkimHuman) {
    if (r.auth_results.dkim.empty()) return;
    DkimAuthResult& d = r.auth_results.dkim.back();
    if (kind == Kind::kDkimDomain) d.domain = std::move(text);
    if (kind == Kind::kDkimSelector) d.selector = std::move(text);
    if (kind == Kind::kDkimResult) d.result = std::move(text);
    if (kind == Kind::kDkimHuman) d.human_result = std::move(text);
    return;
  }
  if (kind == Kind::kSpfDomain || kind == Kind::kSpfScope || kind == Kind::kSpfResult ||
      kind == Kind::kSpfHuman) {
    if (r.auth_results.spf.empty()) return;
    SpfAuthResult& s = r.auth_results.spf.back();
    if (kind == Kind::kSpfDomain) s.domain = std::move(text);
    if (kind == Kind::kSpfScope) s.scope = std::move(text);
    if (kind == Kind::kSpfResult) s.result = std::move(text);
    if (kind == Kind::kSpfHuman) s.human_result = std::move(text);
  }
}

void SaxState::EndRecord(int line) {
  --open_records_;
  std::string why;
  if (!source_seen_ || record().row.source_ip.empty()) {
    why = "no <source_ip>";
  } else if (!count_.seen) {
    why = "no <count>";
  } else if (!count_.ok) {
    why = absl::StrCat("<count> '", count_.text.substr(0, 40), "' is not a number");
  }
  if (why.empty()) return;
  report_.records.pop_back();
  ++dropped_records_;
  Warn(absl::StrCat("record at line ", line, " left out: ", why));
}

void SaxState::OnXmlError(const xmlError& e) {
  if (e.level < XML_ERR_ERROR) return;
  ++xml_errors_;
  if (!first_xml_error_.empty()) return;
  std::string message = e.message != nullptr ? e.message : "unknown error";
  absl::StripTrailingAsciiWhitespace(&message);
  if (message.size() > 200) message = message.substr(0, 200) + "...";
  first_xml_error_ = absl::StrCat("line ", e.line, ", column ", e.int2, ": ", message);
}

absl::StatusOr<DmarcReport> SaxState::Finish() {
  if (stopped()) return stop_;
  Resync(0);
  if (stopped()) return stop_;
  if (!feedback_seen_) {
    if (root_name_.empty()) return absl::InvalidArgumentError("no XML element found");
    return absl::InvalidArgumentError(
        absl::StrCat("not a DMARC aggregate report: the document element is <", root_name_,
                     ">, not <feedback>"));
  }
  const auto check_date = [](const NumberField& f, const char* name) -> absl::Status {
    if (!f.seen) {
      return absl::InvalidArgumentError(
          absl::StrCat("report_metadata: <date_range><", name, "> is missing"));
    }
    if (!f.ok) {
      return absl::InvalidArgumentError(absl::StrCat("line ", f.line, ": <", name, "> '",
                                                     f.text.substr(0, 40),
                                                     "' is not a number of seconds"));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check_date(begin_, "begin"); !s.ok()) return s;
  if (absl::Status s = check_date(end_, "end"); !s.ok()) return s;
  if (report_.policy_published.domain.empty()) {
    return absl::InvalidArgumentError("policy_published: <domain> is missing or empty");
  }
  if (suppressed_warnings_ > 0) {
    report_.warnings.push_back(absl::StrCat(suppressed_warnings_, " more warnings"));
  }
  return std::move(report_);
}

// ---- libxml2 glue ----------------------------------------------------------

// Callbacks receive ctxt->userData, which is the SaxState (not the context:
// libxml2 falls back to its own entity table when userData is the context).
SaxState* StateOf(void* ctx) { return static_cast<SaxState*>(ctx); }

// Only the five predefined entities exist. libxml2 keeps declared entities
// in a table of its own even for a SAX parser; answering here keeps them out
// of reach, so a reference to one is an undefined-entity error and nothing is
// ever expanded (no "billion laughs", no external entity).
xmlEntityPtr OnGetEntity(void* /*ctx*/, const xmlChar* name) {
  return xmlGetPredefinedEntity(name);
}

void OnStartElementNs(void* ctx, const xmlChar* localname, const xmlChar* /*prefix*/,
                      const xmlChar* uri, int /*nb_namespaces*/, const xmlChar** /*namespaces*/,
                      int nb_attributes, int /*nb_defaulted*/, const xmlChar** attributes) {
  const char* name = reinterpret_cast<const char*>(localname);
  const char* ns = reinterpret_cast<const char*>(uri);
  StateOf(ctx)->StartElement(name != nullptr ? name : "", ns != nullptr ? ns : "",
                             attributes != nullptr ? nb_attributes : 0, attributes);
}

void OnEndElementNs(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  StateOf(ctx)->EndElement();
}

void OnCharacters(void* ctx, const xmlChar* ch, int len) {
  StateOf(ctx)->Characters(reinterpret_cast<const char*>(ch), len);
}

void OnStructuredError(void* ctx, xmlErrorPtr error) {
  if (ctx == nullptr || error == nullptr) return;
  StateOf(ctx)->OnXmlError(*error);
}

// libxml2 reports some errors (encoding conversion, I/O) to its generic
// handler, which prints to stderr, instead of the parser context's. The
// first error of a document is already captured through serror; the rest
// must not end up on the audit's terminal. The handler is per thread.
class SilenceGenericErrors {
 public:
  SilenceGenericErrors() : handler_(xmlGenericError), context_(xmlGenericErrorContext) {
    xmlSetGenericErrorFunc(nullptr, &Ignore);
  }
  ~SilenceGenericErrors() { xmlSetGenericErrorFunc(context_, handler_); }
  SilenceGenericErrors(const SilenceGenericErrors&) = delete;
  SilenceGenericErrors& operator=(const SilenceGenericErrors&) = delete;

 private:
  static void Ignore(void*, const char*, ...) {}
  xmlGenericErrorFunc handler_;
  void* context_;
};

struct ParserCtxtFree {
  void operator()(xmlParserCtxtPtr c) const {
    if (c->myDoc != nullptr) xmlFreeDoc(c->myDoc);
    xmlFreeParserCtxt(c);
  }
};

struct PassResult {
  absl::StatusOr<DmarcReport> report = absl::InternalError("not run");
  bool well_formed = false;
  int xml_errors = 0;
  std::string first_xml_error;
};

PassResult RunPass(absl::string_view xml, bool recover, const DmarcLimits& limits) {
  SilenceGenericErrors quiet;
  PassResult out;
  std::unique_ptr<xmlParserCtxt, ParserCtxtFree> ctxt(
      xmlCreateMemoryParserCtxt(xml.data(), static_cast<int>(xml.size())));
  if (ctxt == nullptr) {
    out.report = absl::ResourceExhaustedError("libxml2 could not create a parser");
    return out;
  }
  // No XML_PARSE_NOENT (entities stay unsubstituted), no XML_PARSE_DTDLOAD,
  // no XML_PARSE_HUGE; no network.
  xmlCtxtUseOptions(ctxt.get(),
                    XML_PARSE_NONET | XML_PARSE_NOWARNING | (recover ? XML_PARSE_RECOVER : 0));
  // Only these callbacks: with no entityDecl/getEntity handlers no entity is
  // ever defined, and with no tree builder no document is allocated.
  xmlSAXHandler sax;
  std::memset(&sax, 0, sizeof(sax));
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = OnStartElementNs;
  sax.endElementNs = OnEndElementNs;
  sax.characters = OnCharacters;
  sax.cdataBlock = OnCharacters;
  sax.getEntity = OnGetEntity;
  sax.serror = OnStructuredError;
  *ctxt->sax = sax;
  SaxState state(ctxt.get(), limits);
  ctxt->userData = &state;
  xmlParseDocument(ctxt.get());
  out.well_formed = ctxt->wellFormed != 0 && !state.has_xml_error();
  out.xml_errors = state.xml_errors();
  out.first_xml_error = state.first_xml_error();
  out.report = state.Finish();
  return out;
}

void InitLibxml2Once() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

}  // namespace

absl::StatusOr<DmarcReport> ParseDmarcXml(absl::string_view xml, const DmarcLimits& limits) {
  InitLibxml2Once();
  if (xml.size() > limits.max_expanded_bytes || xml.size() > static_cast<size_t>(INT_MAX)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("XML document is larger than ", HumanBytes(limits.max_expanded_bytes)));
  }
  std::vector<std::string> warnings;
  std::optional<Utf8Repair> repaired;
  if (ReadAsUtf8(xml)) {
    repaired = DropInvalidUtf8(xml);
    if (repaired.has_value()) {
      warnings.push_back(absl::StrCat("dropped ", repaired->dropped,
                                      " byte(s) that are not UTF-8, the first on line ",
                                      repaired->first_line));
      xml = repaired->text;
    }
  }

  PassResult strict = RunPass(xml, /*recover=*/false, limits);
  PassResult* used = &strict;
  std::optional<PassResult> recovered;
  if (!strict.well_formed) {
    // A cap hit is final; anything else may be recoverable.
    if (!strict.report.ok() && absl::IsResourceExhausted(strict.report.status())) {
      return strict.report.status();
    }
    recovered = RunPass(xml, /*recover=*/true, limits);
    if (!recovered->report.ok()) {
      if (absl::IsResourceExhausted(recovered->report.status())) return recovered->report.status();
      return absl::InvalidArgumentError(absl::StrCat(
          strict.first_xml_error.empty() ? "not well-formed XML" : strict.first_xml_error,
          " (not well-formed XML; recovering gave: ", recovered->report.status().message(), ")"));
    }
    used = &*recovered;
    warnings.push_back(absl::StrCat("XML is not well-formed (", strict.first_xml_error,
                                    "); read in recover mode past ", recovered->xml_errors,
                                    " error(s)"));
  }
  if (!used->report.ok()) return used->report.status();
  DmarcReport report = *std::move(used->report);
  warnings.insert(warnings.end(), std::make_move_iterator(report.warnings.begin()),
                  std::make_move_iterator(report.warnings.end()));
  report.warnings = std::move(warnings);
  return report;
}

}  // namespace cleansweep::collector::dmarc
