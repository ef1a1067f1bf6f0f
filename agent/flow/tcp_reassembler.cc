#include "agent/flow/tcp_reassembler.h"

#include <utility>

#include "agent/decode/packet.h"

namespace cleansweep::agent {

TcpReassembler::TcpReassembler(const Options& options, ReassemblyBudget* budget)
    : options_(options), budget_(budget) {}

TcpReassembler::~TcpReassembler() {
  if (budget_ != nullptr) budget_->used -= buffered_;
}

TcpReassembler::TcpReassembler(TcpReassembler&& other) noexcept { *this = std::move(other); }

TcpReassembler& TcpReassembler::operator=(TcpReassembler&& other) noexcept {
  if (this == &other) return *this;
  if (budget_ != nullptr) budget_->used -= buffered_;
  options_ = other.options_;
  budget_ = other.budget_;
  started_ = other.started_;
  syn_seen_ = other.syn_seen_;
  fin_seen_ = other.fin_seen_;
  isn_ = other.isn_;
  base_seq_ = other.base_seq_;
  next_ = other.next_;
  fin_offset_ = other.fin_offset_;
  pending_ = std::move(other.pending_);
  buffered_ = other.buffered_;
  delivered_ = other.delivered_;
  missing_ = other.missing_;
  duplicate_ = other.duplicate_;
  dropped_segments_ = other.dropped_segments_;
  // The moved-from object no longer accounts for any buffered bytes.
  other.pending_.clear();
  other.buffered_ = 0;
  return *this;
}

int64_t TcpReassembler::Unwrap(uint32_t seq) const {
  // The 32-bit sequence number of next_, then the signed distance to `seq`:
  // correct as long as segments are within 2 GiB of the expected position.
  // Negative results are before the start of the stream.
  const uint32_t next_seq = base_seq_ + static_cast<uint32_t>(next_);
  const int32_t delta = static_cast<int32_t>(seq - next_seq);
  return static_cast<int64_t>(next_) + delta;
}

bool TcpReassembler::Reserve(size_t n) {
  if (buffered_ + n > options_.max_buffered_bytes) return false;
  if (budget_ != nullptr && budget_->used + n > budget_->limit) return false;
  buffered_ += n;
  if (budget_ != nullptr) budget_->used += n;
  return true;
}

void TcpReassembler::Release(size_t n) {
  buffered_ -= n;
  if (budget_ != nullptr) budget_->used -= n;
}

void TcpReassembler::Deliver(absl::string_view bytes, StreamConsumer* consumer) {
  if (bytes.empty()) return;
  next_ += bytes.size();
  delivered_ += bytes.size();
  consumer->OnData(bytes);
}

void TcpReassembler::Drain(StreamConsumer* consumer) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->first > next_) return;
    const uint64_t end = it->first + it->second.size();
    if (end > next_) {
      const size_t skip = static_cast<size_t>(next_ - it->first);
      duplicate_ += skip;
      // Deliver before erasing: the view points into the stored string.
      Deliver(absl::string_view(it->second).substr(skip), consumer);
    } else {
      duplicate_ += it->second.size();
    }
    Release(it->second.size());
    pending_.erase(it);
  }
}

void TcpReassembler::SkipToFirstBuffered(StreamConsumer* consumer) {
  if (pending_.empty()) return;
  const uint64_t first = pending_.begin()->first;
  if (first > next_) {
    const uint64_t gap = first - next_;
    missing_ += gap;
    next_ = first;
    consumer->OnGap(gap);
  }
  Drain(consumer);
}

void TcpReassembler::OnSegment(uint32_t seq, uint8_t flags, absl::string_view payload,
                               StreamConsumer* consumer) {
  const bool syn = flags & kTcpSyn;
  const bool fin = flags & kTcpFin;
  if (!started_) {
    started_ = true;
    if (syn) {
      syn_seen_ = true;
      isn_ = seq;
      base_seq_ = seq + 1;  // the SYN occupies one sequence number
    } else {
      base_seq_ = seq;  // joined mid-stream: the first byte seen is offset 0
    }
  }
  // Payload on a SYN (TCP Fast Open, or a retransmitted SYN) starts after it.
  const uint32_t data_seq = syn ? seq + 1 : seq;
  if (syn && !syn_seen_ && next_ == 0 && pending_.empty()) {
    // A SYN seen after a bare ACK opened the stream: re-anchor on the SYN.
    syn_seen_ = true;
    isn_ = seq;
    base_seq_ = seq + 1;
  }
  // Signed stream offsets: a segment may start before the stream (offset 0)
  // when it overlaps data sent before the first captured segment.
  const int64_t start = Unwrap(data_seq);
  const int64_t end = start + static_cast<int64_t>(payload.size());
  const int64_t next = static_cast<int64_t>(next_);

  if (!payload.empty()) {
    if (end <= next) {
      duplicate_ += payload.size();
    } else if (start <= next) {
      const size_t skip = static_cast<size_t>(next - start);
      duplicate_ += skip;
      Deliver(payload.substr(skip), consumer);
      Drain(consumer);
    } else if (static_cast<uint64_t>(start - next) > options_.max_window) {
      ++dropped_segments_;
      return;  // implausible position: ignore the FIN on it too
    } else {
      // Ahead of the stream: buffer it, declaring holes while it does not fit.
      const uint64_t ustart = static_cast<uint64_t>(start);  // > next_ >= 0 here
      auto same = pending_.find(ustart);
      if (same != pending_.end()) {
        if (same->second.size() >= payload.size()) {
          duplicate_ += payload.size();
          payload = absl::string_view();
        } else {
          duplicate_ += same->second.size();
          Release(same->second.size());
          pending_.erase(same);
        }
      }
      if (!payload.empty()) {
        bool reserved = false;
        while (true) {
          if (Reserve(payload.size())) {
            reserved = true;
            break;
          }
          if (pending_.empty()) break;
          SkipToFirstBuffered(consumer);
        }
        if (ustart <= next_) {
          // Skipping holes moved the stream up to (or past) this segment.
          if (reserved) Release(payload.size());
          if (static_cast<uint64_t>(end) <= next_) {
            duplicate_ += payload.size();
          } else {
            const size_t skip = static_cast<size_t>(next_ - ustart);
            duplicate_ += skip;
            Deliver(payload.substr(skip), consumer);
            Drain(consumer);
          }
        } else if (reserved) {
          pending_.emplace(ustart, std::string(payload));
        } else {
          // Larger than the whole buffer: declare the hole before it now.
          const uint64_t gap = ustart - next_;
          missing_ += gap;
          next_ = ustart;
          consumer->OnGap(gap);
          Deliver(payload, consumer);
        }
      }
    }
  }
  if (fin && !fin_seen_ && end >= 0) {
    fin_seen_ = true;
    fin_offset_ = static_cast<uint64_t>(end);
  }
}

void TcpReassembler::Flush(StreamConsumer* consumer) {
  while (!pending_.empty()) SkipToFirstBuffered(consumer);
  if (fin_seen_ && fin_offset_ > next_ && fin_offset_ - next_ <= options_.max_window) {
    const uint64_t gap = fin_offset_ - next_;
    missing_ += gap;
    next_ = fin_offset_;
    consumer->OnGap(gap);
  }
}

}  // namespace cleansweep::agent
