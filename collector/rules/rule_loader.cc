#include "collector/rules/rule_loader.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "collector/rules/cidr.h"

namespace cleansweep::collector {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::TextFormat;
namespace v1 = cleansweep::v1;

// The schema nests four levels at most (e.g. DetectionRules > rule > window);
// the parser's default (100) would let a hostile file recurse far deeper.
constexpr int kRecursionLimit = 8;

// Every error found, capped so a hostile file cannot make the report huge.
class Errors {
 public:
  void Add(std::string line) {
    if (static_cast<int>(lines_.size()) < kMaxReportedErrors) {
      lines_.push_back(std::move(line));
    } else {
      ++dropped_;
    }
  }
  bool empty() const { return lines_.empty(); }
  std::string Join() const {
    std::string out = absl::StrJoin(lines_, "\n");
    if (dropped_ > 0) absl::StrAppend(&out, "\n... and ", dropped_, " more errors");
    return out;
  }

 private:
  std::vector<std::string> lines_;
  int dropped_ = 0;
};

std::string Position(const std::string& path, int line, int column) {
  if (line < 0) return path;
  return absl::StrCat(path, ":", line + 1, ":", column + 1);
}

// Reports the parser's errors (and warnings: a rules file should be clean) as
// "PATH:LINE:COLUMN: message", 1-based like compilers.
class FileErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  FileErrorCollector(const std::string& path, Errors* errors) : path_(path), errors_(errors) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_->Add(absl::StrCat(Position(path_, line, column), ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    AddError(line, column, message);
  }

 private:
  const std::string& path_;
  Errors* errors_;
};

// Where an item of a parsed file is, for semantic error messages: its own
// position and, through the parser's location tree, those of its fields.
class Scope {
 public:
  Scope(const std::string& path, const TextFormat::ParseInfoTree* tree, const Descriptor* desc,
        std::string where, std::string label)
      : path_(path), tree_(tree), desc_(desc), where_(std::move(where)), label_(std::move(label)) {}

  // "PATH:L:C: LABEL: " for field `name` (element `index` if repeated); the
  // item's own position when the field was not written (e.g. left at 0).
  std::string At(absl::string_view name, int index = 0) const {
    std::string pos = where_;
    const FieldDescriptor* f = desc_->FindFieldByName(std::string(name));
    if (tree_ != nullptr && f != nullptr) {
      auto loc = tree_->GetLocation(f, f->is_repeated() ? index : -1);
      if (loc.line >= 0) pos = Position(path_, loc.line, loc.column);
    }
    return label_.empty() ? absl::StrCat(pos, ": ") : absl::StrCat(pos, ": ", label_, ": ");
  }

  // The scope of element `index` of repeated message field `name`.
  Scope Nested(absl::string_view name, int index, std::string label) const {
    const FieldDescriptor* f = desc_->FindFieldByName(std::string(name));
    const TextFormat::ParseInfoTree* sub = nullptr;
    std::string where = where_;
    if (tree_ != nullptr && f != nullptr) {
      sub = tree_->GetTreeForNested(f, index);
      auto loc = tree_->GetLocation(f, index);
      if (loc.line >= 0) where = Position(path_, loc.line, loc.column);
    }
    return Scope(path_, sub, f != nullptr ? f->message_type() : nullptr, where, std::move(label));
  }

 private:
  const std::string& path_;
  const TextFormat::ParseInfoTree* tree_;
  const Descriptor* desc_;
  std::string where_;
  std::string label_;
};

bool ParseFile(const RuleFile& file, Message* out, TextFormat::ParseInfoTree* tree,
               Errors* errors) {
  if (file.text.size() > kMaxRuleFileBytes) {
    errors->Add(absl::StrCat(file.path, ": file is larger than ", kMaxRuleFileBytes,
                             " bytes (4 MiB); refused"));
    return false;
  }
  FileErrorCollector collector(file.path, errors);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(tree);
  parser.SetRecursionLimit(kRecursionLimit);
  return parser.ParseFromString(file.text, out);
}

bool ValidUrl(absl::string_view url) {
  return (absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://")) &&
         url.find_first_of(" \t\r\n") == absl::string_view::npos && url.size() > 10;
}

// Port ranges of worms and filters share one shape.
template <typename PortMessage>
void CheckPort(const Scope& scope, const PortMessage& p, absl::string_view what, Errors* errors) {
  if (p.port() < 1 || p.port() > 65535) {
    errors->Add(absl::StrCat(scope.At("port"), what, " port ", p.port(), " is not in 1-65535"));
  }
  if (p.port_last() != 0 && (p.port_last() < p.port() || p.port_last() > 65535)) {
    errors->Add(absl::StrCat(scope.At("port_last"), what, " port_last ", p.port_last(),
                             " must be 0 or in ", p.port(), "-65535"));
  }
  if (p.transport() != v1::TRANSPORT_TCP && p.transport() != v1::TRANSPORT_UDP) {
    errors->Add(absl::StrCat(scope.At("transport"), what,
                             " transport must be TRANSPORT_TCP or TRANSPORT_UDP"));
  }
}

void CheckWorms(const std::string& path, const TextFormat::ParseInfoTree& tree,
                const v1::WormKnowledgeBase& kb, Errors* errors) {
  Scope root(path, &tree, v1::WormKnowledgeBase::descriptor(), path, "");
  if (kb.family_size() > kMaxFamilies) {
    errors->Add(absl::StrCat(path, ": ", kb.family_size(), " families; refused (the limit is ",
                             kMaxFamilies, ")"));
    return;
  }
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < kb.family_size(); ++i) {
    const v1::WormFamily& f = kb.family(i);
    const std::string label =
        f.name().empty() ? absl::StrCat("family[", i, "]") : absl::StrCat("family '", f.name(), "'");
    Scope fam = root.Nested("family", i, label);
    if (f.name().empty()) errors->Add(absl::StrCat(fam.At("name"), "has no name"));
    if (!f.name().empty() && !names.insert(f.name()).second) {
      errors->Add(absl::StrCat(fam.At("name"), "duplicate family name"));
    }
    if (!f.first_seen().empty()) {
      absl::Time t;
      std::string err;
      if (!absl::ParseTime("%Y-%m-%d", f.first_seen(), &t, &err)) {
        errors->Add(absl::StrCat(fam.At("first_seen"), "first_seen '", f.first_seen(),
                                 "' is not YYYY-MM-DD"));
      }
    }
    if (f.sources_size() == 0) {
      errors->Add(absl::StrCat(fam.At("name"), "has no sources (every fact needs one)"));
    }
    for (int j = 0; j < f.ports_size(); ++j) {
      const v1::WormPort& p = f.ports(j);
      Scope port = fam.Nested("ports", j, label);
      CheckPort(port, p, absl::StrCat("ports[", j, "]"), errors);
      if (p.role() == v1::PORT_ROLE_UNSPECIFIED || !v1::PortRole_IsValid(p.role())) {
        errors->Add(absl::StrCat(port.At("role"), "ports[", j, "] role must be set"));
      }
    }
    for (int j = 0; j < f.sources_size(); ++j) {
      Scope src = fam.Nested("sources", j, label);
      if (f.sources(j).title().empty()) {
        errors->Add(absl::StrCat(src.At("title"), "sources[", j, "] has no title"));
      }
      if (!ValidUrl(f.sources(j).url())) {
        errors->Add(absl::StrCat(src.At("url"), "sources[", j, "] url '", f.sources(j).url(),
                                 "' is not an http(s) URL"));
      }
    }
  }
}

void CheckDetection(const std::string& path, const TextFormat::ParseInfoTree& tree,
                    const v1::DetectionRules& rules, Errors* errors) {
  Scope root(path, &tree, v1::DetectionRules::descriptor(), path, "");
  if (rules.rule_size() > kMaxRules) {
    errors->Add(absl::StrCat(path, ": ", rules.rule_size(), " rules; refused (the limit is ",
                             kMaxRules, ")"));
    return;
  }
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < rules.rule_size(); ++i) {
    const v1::DetectionRule& r = rules.rule(i);
    const std::string label =
        r.name().empty() ? absl::StrCat("rule[", i, "]") : absl::StrCat("rule '", r.name(), "'");
    Scope rule = root.Nested("rule", i, label);
    if (r.name().empty()) errors->Add(absl::StrCat(rule.At("name"), "has no name"));
    if (!r.name().empty() && !names.insert(r.name()).second) {
      errors->Add(absl::StrCat(rule.At("name"), "duplicate rule name"));
    }
    if (r.signal() == v1::SIGNAL_UNSPECIFIED || !v1::Signal_IsValid(r.signal())) {
      errors->Add(absl::StrCat(rule.At("signal"), "unknown or unspecified signal ",
                               static_cast<int>(r.signal())));
    }
    if (r.severity() == v1::SEVERITY_UNSPECIFIED || !v1::Severity_IsValid(r.severity())) {
      errors->Add(absl::StrCat(rule.At("severity"), "unknown or unspecified severity ",
                               static_cast<int>(r.severity())));
    }
    const auto& w = r.window();
    const bool window_sane = w.nanos() > -1000000000 && w.nanos() < 1000000000 &&
                             !(w.seconds() > 0 && w.nanos() < 0) &&
                             !(w.seconds() < 0 && w.nanos() > 0);
    const absl::Duration window = absl::Seconds(w.seconds()) + absl::Nanoseconds(w.nanos());
    if (!window_sane) {
      errors->Add(absl::StrCat(rule.At("window"), "window is not a valid duration"));
    } else if (window <= absl::ZeroDuration()) {
      errors->Add(absl::StrCat(rule.At("window"), "window must be positive (got ",
                               absl::FormatDuration(window), ")"));
    } else if (window > kMaxRuleWindow) {
      errors->Add(absl::StrCat(rule.At("window"), "window ", absl::FormatDuration(window),
                               " refused: the limit is ", absl::FormatDuration(kMaxRuleWindow)));
    }
    if (r.threshold() < 1) {
      errors->Add(absl::StrCat(rule.At("threshold"), "threshold ", r.threshold(),
                               " must be at least 1"));
    } else if (r.threshold() > kMaxThreshold) {
      errors->Add(absl::StrCat(rule.At("threshold"), "threshold ", r.threshold(),
                               " refused: the limit is ", kMaxThreshold));
    }
    if (r.signal() == v1::SIGNAL_FAILED_CONNECTION_RATIO) {
      if (!(r.min_ratio() > 0.0 && r.min_ratio() <= 1.0)) {
        errors->Add(absl::StrCat(rule.At("min_ratio"), "min_ratio ", r.min_ratio(),
                                 " must be in (0, 1] for SIGNAL_FAILED_CONNECTION_RATIO"));
      }
    } else if (r.min_ratio() != 0.0) {
      errors->Add(absl::StrCat(rule.At("min_ratio"),
                               "min_ratio is only meaningful for SIGNAL_FAILED_CONNECTION_RATIO"));
    }
    if (r.signal() == v1::SIGNAL_SWEEP_HOSTS_REDIRECT && r.ports_size() > 0) {
      errors->Add(absl::StrCat(rule.At("ports"),
                               "SIGNAL_SWEEP_HOSTS_REDIRECT counts hosts-file entries; a port "
                               "filter means nothing there"));
    }
    if (r.ports_size() > kMaxSiteAddresses) {
      errors->Add(absl::StrCat(rule.At("ports"), r.ports_size(),
                               " port filters; refused (the limit is ", kMaxSiteAddresses, ")"));
      continue;
    }
    for (int j = 0; j < r.ports_size(); ++j) {
      CheckPort(rule.Nested("ports", j, label), r.ports(j), absl::StrCat("ports[", j, "]"),
                errors);
    }
  }
}

// Validates a list of named address sets; returns the parsed blocks with the
// scope of each (for the relay containment check).
std::vector<std::pair<Cidr, std::string>> CheckNamedAddresses(
    const Scope& root, absl::string_view field, absl::string_view kind,
    const google::protobuf::RepeatedPtrField<v1::NamedAddresses>& list, Errors* errors) {
  std::vector<std::pair<Cidr, std::string>> parsed;
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < list.size(); ++i) {
    const v1::NamedAddresses& n = list[i];
    const std::string label = n.name().empty() ? absl::StrCat(field, "[", i, "]")
                                               : absl::StrCat(kind, " '", n.name(), "'");
    Scope item = root.Nested(field, i, label);
    if (n.name().empty()) errors->Add(absl::StrCat(item.At("name"), "has no name"));
    if (!n.name().empty() && !names.insert(n.name()).second) {
      errors->Add(absl::StrCat(item.At("name"), "duplicate name"));
    }
    if (n.addresses_size() == 0) errors->Add(absl::StrCat(item.At("name"), "has no addresses"));
    for (int j = 0; j < n.addresses_size(); ++j) {
      absl::StatusOr<Cidr> c = ParseCidr(n.addresses(j), /*allow_bare_address=*/true);
      if (!c.ok()) {
        errors->Add(absl::StrCat(item.At("addresses", j), c.status().message()));
      } else {
        parsed.emplace_back(*c, item.At("addresses", j));
      }
    }
  }
  return parsed;
}

void CheckSite(const std::string& path, const TextFormat::ParseInfoTree& tree,
               const v1::SiteFacts& site, Errors* errors) {
  Scope root(path, &tree, v1::SiteFacts::descriptor(), path, "site");
  // Count before parsing anything: a million CIDRs is refused in one line.
  int64_t count = site.internal_networks_size();
  for (const auto* list : {&site.approved_relays(), &site.mail_servers(), &site.public_egress()}) {
    for (const v1::NamedAddresses& n : *list) count += n.addresses_size();
  }
  if (count > kMaxSiteAddresses) {
    errors->Add(absl::StrCat(path, ": site: ", count,
                             " addresses/CIDR blocks; refused (the limit is ", kMaxSiteAddresses,
                             ")"));
    return;
  }
  if (site.name().empty()) errors->Add(absl::StrCat(root.At("name"), "name is empty"));
  if (site.internal_networks_size() == 0) {
    errors->Add(absl::StrCat(root.At("internal_networks"),
                             "no internal_networks: nothing would be judged"));
  }
  std::vector<Cidr> internal;
  for (int i = 0; i < site.internal_networks_size(); ++i) {
    absl::StatusOr<Cidr> c = ParseCidr(site.internal_networks(i), /*allow_bare_address=*/false);
    if (!c.ok()) {
      errors->Add(absl::StrCat(root.At("internal_networks", i), "internal_networks[", i, "] ",
                               c.status().message()));
    } else {
      internal.push_back(*c);
    }
  }
  auto relays =
      CheckNamedAddresses(root, "approved_relays", "approved relay", site.approved_relays(), errors);
  CheckNamedAddresses(root, "mail_servers", "mail server", site.mail_servers(), errors);
  CheckNamedAddresses(root, "public_egress", "public egress", site.public_egress(), errors);
  for (const auto& entry : relays) {
    // Named members, not a structured binding: lambdas may not capture those in C++20.
    const auto& relay = entry.first;
    const auto& where = entry.second;
    const bool inside = std::any_of(internal.begin(), internal.end(),
                                    [&](const Cidr& net) { return net.Contains(relay); });
    if (!inside) {
      errors->Add(absl::StrCat(where, relay.ToString(), " is outside every internal network"));
    }
  }
  absl::flat_hash_set<std::string> domains;
  for (int i = 0; i < site.mail_domains_size(); ++i) {
    const std::string& d = site.mail_domains(i);
    if (d.empty() || d.find_first_of("@ \t\r\n/") != std::string::npos ||
        absl::AsciiStrToLower(d) != d || d.find('.') == std::string::npos) {
      errors->Add(absl::StrCat(root.At("mail_domains", i), "mail_domains[", i, "] '", d,
                               "' is not a lower-case domain name like 'example.com'"));
    } else if (!domains.insert(d).second) {
      errors->Add(absl::StrCat(root.At("mail_domains", i), "duplicate mail domain '", d, "'"));
    }
  }
  if (!(site.clean_coverage() > 0.0 && site.clean_coverage() <= 1.0)) {
    errors->Add(absl::StrCat(root.At("clean_coverage"), "clean_coverage ",
                             site.clean_coverage(), " must be in (0, 1]"));
  }
}

void AppendFramed(absl::string_view name, const Message& m, std::string* out) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  absl::StrAppend(out, name, std::string(1, '\0'), bytes.size(), std::string(1, '\0'), bytes);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0xf]);
  }
  return hex;
}

// Reads at most kMaxRuleFileBytes + 1 bytes: enough for ParseFile to refuse
// an oversized file without reading all of it.
absl::StatusOr<std::string> ReadCapped(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string text(kMaxRuleFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::StatusOr<RuleSet> ParseRuleSet(const RuleSources& sources) {
  Errors errors;
  RuleSet out;
  TextFormat::ParseInfoTree worms_tree, detection_tree, site_tree;
  // Every file is parsed and checked even after an error, so one run lists
  // everything that needs fixing.
  if (ParseFile(sources.worms, &out.worms, &worms_tree, &errors)) {
    CheckWorms(sources.worms.path, worms_tree, out.worms, &errors);
  }
  if (ParseFile(sources.detection, &out.detection, &detection_tree, &errors)) {
    CheckDetection(sources.detection.path, detection_tree, out.detection, &errors);
  }
  if (ParseFile(sources.site, &out.site, &site_tree, &errors)) {
    CheckSite(sources.site.path, site_tree, out.site, &errors);
  }
  if (!errors.empty()) return absl::InvalidArgumentError(errors.Join());
  std::string canonical;
  AppendFramed("worms", out.worms, &canonical);
  AppendFramed("detection", out.detection, &canonical);
  AppendFramed("site", out.site, &canonical);
  out.digest = Sha256Hex(canonical);
  out.site_path = sources.site.path;
  return out;
}

absl::StatusOr<RuleSet> LoadRuleSet(const std::string& dir) {
  RuleSources sources;
  sources.worms.path = absl::StrCat(dir, "/worms.textproto");
  sources.detection.path = absl::StrCat(dir, "/detection.textproto");
  sources.site.path = absl::StrCat(dir, "/site.textproto");
  if (!IsRegularFile(sources.site.path)) {
    sources.site.path = absl::StrCat(dir, "/site.example.textproto");
  }
  std::vector<std::string> missing;
  for (RuleFile* f : {&sources.worms, &sources.detection, &sources.site}) {
    absl::StatusOr<std::string> text = ReadCapped(f->path);
    if (!text.ok()) {
      missing.push_back(std::string(text.status().message()));
      continue;
    }
    f->text = *std::move(text);
  }
  if (!missing.empty()) {
    return absl::NotFoundError(absl::StrJoin(missing, "\n"));
  }
  return ParseRuleSet(sources);
}

std::vector<std::string> RuleErrors(const absl::Status& status) {
  return absl::StrSplit(status.message(), '\n', absl::SkipEmpty());
}

}  // namespace cleansweep::collector
