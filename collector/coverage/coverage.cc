#include "collector/coverage/coverage.h"

#include <algorithm>

namespace cleansweep::collector {
namespace {

// Delta of one cumulative counter; `restarted` makes the current value the
// delta (the counter started again from zero).
uint64_t Delta(uint64_t previous, uint64_t current, bool restarted) {
  return restarted ? current : current - previous;
}

bool AnyDown(const HeartbeatSample& h) {
  return std::any_of(h.interfaces.begin(), h.interfaces.end(),
                     [](const InterfaceSample& i) { return !i.up; });
}

}  // namespace

CaptureLoss LossBetween(absl::Span<const InterfaceSample> prev,
                        absl::Span<const InterfaceSample> cur) {
  CaptureLoss loss;
  for (const InterfaceSample& now : cur) {
    const InterfaceSample* before = nullptr;
    for (const InterfaceSample& p : prev) {
      if (p.name == now.name) {
        before = &p;
        break;
      }
    }
    if (before == nullptr) {
      // Opened since the previous heartbeat: its counters began at zero.
      loss.received += now.received;
      loss.dropped += now.dropped;
      loss.interface_dropped += now.interface_dropped;
      continue;
    }
    // pcap counters only grow during one run, so any counter going backwards
    // means a new run; all three restarted together.
    const bool restarted = now.received < before->received || now.dropped < before->dropped ||
                           now.interface_dropped < before->interface_dropped;
    loss.received += Delta(before->received, now.received, restarted);
    loss.dropped += Delta(before->dropped, now.dropped, restarted);
    loss.interface_dropped += Delta(before->interface_dropped, now.interface_dropped, restarted);
  }
  return loss;
}

absl::Duration AllowedPause(absl::Duration interval) {
  if (interval <= absl::ZeroDuration()) interval = kDefaultHeartbeatInterval;
  return std::min(interval, kMaxHeartbeatInterval) * kCoverageSlack;
}

std::vector<CoverageInterval> CoverageIntervals(absl::Span<const HeartbeatSample> heartbeats) {
  std::vector<const HeartbeatSample*> sorted;
  sorted.reserve(heartbeats.size());
  for (const HeartbeatSample& h : heartbeats) sorted.push_back(&h);
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const HeartbeatSample* a, const HeartbeatSample* b) { return a->time < b->time; });

  std::vector<CoverageInterval> out;
  const HeartbeatSample* prev = nullptr;
  for (const HeartbeatSample* h : sorted) {
    // The previous heartbeat announced when the next one was due.
    if (prev == nullptr || h->time - prev->time > AllowedPause(prev->interval)) {
      CoverageInterval interval;
      interval.start = interval.end = h->time;
      interval.heartbeats = 1;
      interval.interface_down = AnyDown(*h);
      out.push_back(interval);
    } else {
      CoverageInterval& interval = out.back();
      interval.end = h->time;
      ++interval.heartbeats;
      interval.interface_down = interval.interface_down || AnyDown(*h);
      const CaptureLoss loss = LossBetween(prev->interfaces, h->interfaces);
      interval.loss.received += loss.received;
      interval.loss.dropped += loss.dropped;
      interval.loss.interface_dropped += loss.interface_dropped;
    }
    prev = h;
  }
  return out;
}

CoverageSummary Coverage(absl::Span<const CoverageInterval> intervals, absl::Time from,
                         absl::Time to) {
  CoverageSummary summary;
  if (to <= from) return summary;
  summary.window = to - from;

  // Clip to the window, then sort and merge so overlaps count once.
  std::vector<CoverageGap> spans;  // covered spans, reusing the (start, end) pair
  for (const CoverageInterval& i : intervals) {
    const absl::Time start = std::max(i.start, from);
    const absl::Time end = std::min(i.end, to);
    if (start < end) spans.push_back({start, end});
  }
  std::sort(spans.begin(), spans.end(),
            [](const CoverageGap& a, const CoverageGap& b) { return a.start < b.start; });

  absl::Time cursor = from;  // everything before it is accounted for
  for (const CoverageGap& s : spans) {
    if (s.end <= cursor) continue;
    const absl::Time start = std::max(s.start, cursor);
    if (start > cursor) summary.gaps.push_back({cursor, start});
    summary.covered += s.end - start;
    cursor = s.end;
  }
  if (cursor < to) summary.gaps.push_back({cursor, to});
  summary.fraction = absl::FDivDuration(summary.covered, summary.window);
  return summary;
}

CaptureLoss TotalLoss(absl::Span<const CoverageInterval> intervals) {
  CaptureLoss total;
  for (const CoverageInterval& i : intervals) {
    total.received += i.loss.received;
    total.dropped += i.loss.dropped;
    total.interface_dropped += i.loss.interface_dropped;
  }
  return total;
}

}  // namespace cleansweep::collector
