// ByteReader: a tiny bounds-checked, big-endian (network order) cursor over a
// borrowed byte span. Every packet decoder reads the wire through it, so no
// decoder ever indexes a buffer directly or casts a struct over one.
//
// Contract:
//  - Borrows `data`; the caller keeps the bytes alive while the reader is used.
//  - Every read checks the remaining length first. A failed read returns false
//    (or an empty optional), leaves the output and the cursor untouched, and
//    never aborts — unlike absl::Span::subspan, which aborts past the end.
//  - No allocation, no exceptions; all functions are inline and cheap enough
//    for the per-packet path. Not thread-safe (a value type; copy it freely).
#ifndef CLEANSWEEP_AGENT_DECODE_BYTE_READER_H_
#define CLEANSWEEP_AGENT_DECODE_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"

namespace cleansweep::agent {

class ByteReader {
 public:
  explicit ByteReader(absl::Span<const uint8_t> data) : data_(data) {}

  // Bytes not yet consumed.
  size_t Remaining() const { return data_.size() - pos_; }
  // Bytes consumed so far.
  size_t Position() const { return pos_; }

  // Advances by `n` bytes; false (cursor unchanged) if fewer remain.
  bool Skip(size_t n) {
    if (n > Remaining()) return false;
    pos_ += n;
    return true;
  }

  bool ReadU8(uint8_t* out) {
    if (Remaining() < 1) return false;
    *out = data_[pos_];
    pos_ += 1;
    return true;
  }
  bool ReadU16(uint16_t* out) {
    if (Remaining() < 2) return false;
    *out = static_cast<uint16_t>((uint16_t{data_[pos_]} << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool ReadU32(uint32_t* out) {
    if (Remaining() < 4) return false;
    *out = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
           (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return true;
  }

  std::optional<uint8_t> U8() {
    uint8_t v;
    return ReadU8(&v) ? std::optional<uint8_t>(v) : std::nullopt;
  }
  std::optional<uint16_t> U16() {
    uint16_t v;
    return ReadU16(&v) ? std::optional<uint16_t>(v) : std::nullopt;
  }
  std::optional<uint32_t> U32() {
    uint32_t v;
    return ReadU32(&v) ? std::optional<uint32_t>(v) : std::nullopt;
  }

  // Copies `n` raw bytes into `out` (e.g. an address); false if fewer remain.
  bool ReadBytes(size_t n, uint8_t* out) {
    if (n > Remaining()) return false;
    for (size_t i = 0; i < n; ++i) out[i] = data_[pos_ + i];
    pos_ += n;
    return true;
  }

  // Borrows the next `n` bytes as a span and advances; false if fewer remain.
  bool ReadSpan(size_t n, absl::Span<const uint8_t>* out) {
    if (n > Remaining()) return false;
    *out = absl::Span<const uint8_t>(data_.data() + pos_, n);
    pos_ += n;
    return true;
  }

  // The unconsumed bytes (possibly empty); does not advance.
  absl::Span<const uint8_t> Rest() const {
    return absl::Span<const uint8_t>(data_.data() + pos_, Remaining());
  }

 private:
  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_BYTE_READER_H_
