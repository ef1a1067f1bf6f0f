#include "collector/dmarc/decompress.h"

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cleansweep::collector::dmarc {
namespace {

constexpr size_t kChunk = 64 * 1024;

// Checks one more chunk of output against the size and ratio caps.
// `consumed` is the compressed input used so far (at least 1).
absl::Status CheckGrowth(size_t current, size_t add, uint64_t consumed, absl::string_view what,
                         const DmarcLimits& limits) {
  if (add > limits.max_expanded_bytes || current > limits.max_expanded_bytes - add) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, " expands beyond ", HumanBytes(limits.max_expanded_bytes)));
  }
  const uint64_t total = current + add;
  if (total > limits.ratio_floor_bytes && limits.max_compression_ratio > 0 &&
      total / std::max<uint64_t>(consumed, 1) > limits.max_compression_ratio) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, " expands more than ", limits.max_compression_ratio, " times (",
        HumanBytes(std::max<uint64_t>(consumed, 1)), " to over ", HumanBytes(total), ")"));
  }
  return absl::OkStatus();
}

struct InflateStream {
  z_stream zs{};
  bool ready = false;
  ~InflateStream() {
    if (ready) inflateEnd(&zs);
  }
};

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

bool SkippedZipName(absl::string_view name) {
  if (name.empty() || name.back() == '/') return true;
  if (absl::StartsWith(name, "__MACOSX/")) return true;
  const size_t slash = name.rfind('/');
  const absl::string_view base = slash == absl::string_view::npos ? name : name.substr(slash + 1);
  return absl::StartsWith(base, "._");
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " bytes");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  if (v == static_cast<double>(static_cast<uint64_t>(v))) {
    return absl::StrFormat("%d %s", static_cast<uint64_t>(v), units[u]);
  }
  return absl::StrFormat("%.1f %s", v, units[u]);
}

std::string QuoteName(absl::string_view name) {
  constexpr size_t kMax = 160;
  std::string out = "'";
  for (size_t i = 0; i < name.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    out += (c < 0x20 || c == 0x7f || c == '\'') ? '?' : static_cast<char>(c);
  }
  if (name.size() > kMax) out += "...";
  out += "'";
  return out;
}

absl::StatusOr<Unpacked> Gunzip(absl::string_view data, const DmarcLimits& limits) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return absl::ResourceExhaustedError("gzip data too large");
  }
  InflateStream s;
  if (inflateInit2(&s.zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  s.ready = true;
  s.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.zs.avail_in = static_cast<uInt>(data.size());

  Unpacked out;
  auto buf = std::make_unique<char[]>(kChunk);
  int members = 1;
  while (true) {
    s.zs.next_out = reinterpret_cast<Bytef*>(buf.get());
    s.zs.avail_out = kChunk;
    const int rc = inflate(&s.zs, Z_NO_FLUSH);
    const size_t produced = kChunk - s.zs.avail_out;
    const uint64_t consumed = data.size() - s.zs.avail_in;
    if (absl::Status st = CheckGrowth(out.bytes.size(), produced, consumed, "gzip stream", limits);
        !st.ok()) {
      return st;
    }
    out.bytes.append(buf.get(), produced);
    if (rc == Z_STREAM_END) {
      const size_t left = s.zs.avail_in;
      if (left == 0) break;
      const absl::string_view rest = data.substr(data.size() - left);
      if (rest.size() >= 2 && rest[0] == '\x1f' && rest[1] == '\x8b') {
        // Another member follows.
        if (inflateReset(&s.zs) != Z_OK) return absl::InternalError("zlib inflateReset failed");
        ++members;
        continue;
      }
      out.warnings.push_back(absl::StrCat(left, " bytes after the end of the gzip data ignored"));
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && s.zs.avail_in == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gzip data is truncated (ends after ", data.size(), " bytes, in member ", members, ")"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("gzip data is damaged at compressed byte ", consumed, ": ",
                     s.zs.msg != nullptr ? s.zs.msg : "zlib error " + std::to_string(rc)));
  }
  return out;
}

absl::StatusOr<Unpacked> UnzipReport(absl::string_view data, const DmarcLimits& limits) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
  if (source == nullptr) {
    std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    return absl::InternalError(absl::StrCat("libzip: ", msg));
  }
  zip_t* raw = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (raw == nullptr) {
    std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    zip_source_free(source);
    return absl::InvalidArgumentError(absl::StrCat("not a readable zip archive: ", msg));
  }
  zip_error_fini(&error);
  std::unique_ptr<zip_t, ZipCloser> archive(raw);  // owns `source` now

  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries <= 0) return absl::InvalidArgumentError("zip archive has no entries");
  if (entries > limits.max_zip_entries) {
    return absl::ResourceExhaustedError(absl::StrCat("zip archive has ", entries,
                                                     " entries, more than the ",
                                                     limits.max_zip_entries, " allowed"));
  }

  zip_int64_t chosen = -1;
  int files = 0;
  std::string chosen_name;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        st.name == nullptr) {
      continue;
    }
    const absl::string_view name(st.name);
    if (SkippedZipName(name)) continue;
    ++files;
    const bool xml = absl::EndsWithIgnoreCase(name, ".xml");
    if (chosen < 0 || (xml && !absl::EndsWithIgnoreCase(chosen_name, ".xml"))) {
      chosen = i;
      chosen_name = std::string(name);
    }
  }
  if (chosen < 0) return absl::InvalidArgumentError("zip archive holds no file");

  Unpacked out;
  out.entry_name = chosen_name;
  if (files > 1) {
    out.warnings.push_back(absl::StrCat("zip archive: ", files - 1, " other entr",
                                        files == 2 ? "y" : "ies", " ignored"));
  }
  const std::string what = absl::StrCat("zip entry ", QuoteName(chosen_name));

  zip_stat_t st;
  zip_stat_init(&st);
  uint64_t compressed = data.size();
  if (zip_stat_index(archive.get(), chosen, 0, &st) == 0 && (st.valid & ZIP_STAT_COMP_SIZE)) {
    // A header may understate it; the ratio check then only fires earlier.
    compressed = std::min<uint64_t>(st.comp_size, data.size());
  }
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive.get(), chosen, 0));
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot be read: ", zip_strerror(archive.get())));
  }
  auto buf = std::make_unique<char[]>(kChunk);
  while (true) {
    const zip_int64_t n = zip_fread(file.get(), buf.get(), kChunk);
    if (n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": damaged: ", zip_file_strerror(file.get())));
    }
    if (n == 0) break;
    if (absl::Status s =
            CheckGrowth(out.bytes.size(), static_cast<size_t>(n), compressed, what, limits);
        !s.ok()) {
      return s;
    }
    out.bytes.append(buf.get(), static_cast<size_t>(n));
  }
  return out;
}

}  // namespace cleansweep::collector::dmarc
