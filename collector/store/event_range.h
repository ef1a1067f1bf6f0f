// EventRange: a borrowed, read-only sequence of events, held either in one
// array (a std::vector or absl::Span of Event) or as a protobuf repeated field
// (an array of pointers, e.g. the events of a parsed EventBatch).
//
// It lets the collector store and judge a batch where gRPC parsed it, without
// moving or copying each event into a vector first. Like absl::Span it owns
// nothing: the events must outlive every use of the range, and the repeated
// field must not be modified meanwhile.
#ifndef CLEANSWEEP_COLLECTOR_STORE_EVENT_RANGE_H_
#define CLEANSWEEP_COLLECTOR_STORE_EVENT_RANGE_H_

#include <cstddef>
#include <iterator>
#include <vector>

#include "absl/types/span.h"
#include "cleansweep/v1/event.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace cleansweep::collector {

class EventRange {
 public:
  using Event = cleansweep::v1::Event;

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Event;
    using difference_type = std::ptrdiff_t;
    using pointer = const Event*;
    using reference = const Event&;

    Iterator(const EventRange* range, size_t index) : range_(range), index_(index) {}
    reference operator*() const { return (*range_)[index_]; }
    pointer operator->() const { return &(*range_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++index_;
      return old;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }

   private:
    const EventRange* range_;
    size_t index_;
  };

  EventRange() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): a view, like absl::Span.
  EventRange(absl::Span<const Event> events) : array_(events.data()), size_(events.size()) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  EventRange(const std::vector<Event>& events) : array_(events.data()), size_(events.size()) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  EventRange(const google::protobuf::RepeatedPtrField<Event>& events)
      : pointers_(events.data()), size_(static_cast<size_t>(events.size())) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Event& operator[](size_t i) const { return pointers_ != nullptr ? *pointers_[i] : array_[i]; }
  const Event& front() const { return (*this)[0]; }
  const Event& back() const { return (*this)[size_ - 1]; }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size_); }

 private:
  const Event* array_ = nullptr;           // contiguous events, or
  const Event* const* pointers_ = nullptr;  // a repeated field's element pointers
  size_t size_ = 0;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_STORE_EVENT_RANGE_H_
