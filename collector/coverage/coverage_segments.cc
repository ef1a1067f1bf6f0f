#include "collector/coverage/coverage_segments.h"

#include <algorithm>

namespace cleansweep::collector {
namespace {

// The clock hour `t` falls in (ToUnixSeconds rounds toward the past; so does
// this division, also before 1970).
int64_t Hour(absl::Time t) {
  const int64_t s = absl::ToUnixSeconds(t);
  const int64_t span = absl::ToInt64Seconds(kSegmentSpan);
  return s >= 0 ? s / span : -((-s + span - 1) / span);
}

bool AnyDown(const HeartbeatSample& h) {
  return std::any_of(h.interfaces.begin(), h.interfaces.end(),
                     [](const InterfaceSample& i) { return !i.up; });
}

void Add(CaptureLoss& total, const CaptureLoss& more) {
  total.received += more.received;
  total.dropped += more.dropped;
  total.interface_dropped += more.interface_dropped;
}

void TakeTail(const HeartbeatSample& h, CoverageSegment& s) {
  s.end = h.time;
  s.last_interval = h.interval;
  s.last_interfaces = h.interfaces;
  ++s.heartbeats;
  s.interface_down = s.interface_down || AnyDown(h);
}

}  // namespace

bool FoldHeartbeat(CoverageSegment* last, const HeartbeatSample& h, CoverageSegment* appended) {
  if (last == nullptr || h.time - last->end > AllowedPause(last->last_interval)) {
    *appended = CoverageSegment{};
    appended->start = appended->run_start = h.time;
    TakeTail(h, *appended);
    return true;
  }
  const CaptureLoss loss = LossBetween(last->last_interfaces, h.interfaces);
  if (Hour(h.time) == Hour(last->end)) {
    Add(last->loss, loss);
    TakeTail(h, *last);
    return false;
  }
  // A new clock hour: the run goes on in a new segment that starts where the
  // last one ended, so the time between the two heartbeats stays covered.
  *appended = CoverageSegment{};
  appended->start = last->end;
  appended->run_start = last->run_start;
  appended->loss = loss;
  TakeTail(h, *appended);
  return true;
}

std::vector<CoverageSegment> FoldHeartbeats(absl::Span<const HeartbeatSample> heartbeats) {
  std::vector<const HeartbeatSample*> sorted;
  sorted.reserve(heartbeats.size());
  for (const HeartbeatSample& h : heartbeats) sorted.push_back(&h);
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const HeartbeatSample* a, const HeartbeatSample* b) { return a->time < b->time; });
  std::vector<CoverageSegment> out;
  CoverageSegment next;
  for (const HeartbeatSample* h : sorted) {
    if (FoldHeartbeat(out.empty() ? nullptr : &out.back(), *h, &next)) {
      out.push_back(std::move(next));
    }
  }
  return out;
}

std::vector<CoverageInterval> IntervalsOfSegments(absl::Span<const CoverageSegment> segments) {
  std::vector<const CoverageSegment*> sorted;
  sorted.reserve(segments.size());
  for (const CoverageSegment& s : segments) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [](const CoverageSegment* a, const CoverageSegment* b) {
    return a->start != b->start ? a->start < b->start : a->end < b->end;
  });
  std::vector<CoverageInterval> out;
  const CoverageSegment* prev = nullptr;
  for (const CoverageSegment* s : sorted) {
    if (prev == nullptr || s->run_start != prev->run_start) {
      out.push_back(CoverageInterval{s->start, s->end, 0, {}, false});
    }
    CoverageInterval& i = out.back();
    i.end = std::max(i.end, s->end);
    i.heartbeats += s->heartbeats;
    Add(i.loss, s->loss);
    i.interface_down = i.interface_down || s->interface_down;
    prev = s;
  }
  return out;
}

}  // namespace cleansweep::collector
