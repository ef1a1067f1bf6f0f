// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr.
// This Abseil release ships no status macros; these are the project's only ones.
#ifndef CLEANSWEEP_COMMON_STATUS_MACROS_H_
#define CLEANSWEEP_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CS_STATUS_CONCAT_INNER_(a, b) a##b
#define CS_STATUS_CONCAT_(a, b) CS_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status cs_status_ = (expr);            \
    if (!cs_status_.ok()) return cs_status_;       \
  } while (false)

// ASSIGN_OR_RETURN(lhs, rexpr): evaluates `rexpr` (an absl::StatusOr<T>); on error
// returns its status, otherwise moves the value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  CS_ASSIGN_OR_RETURN_IMPL_(CS_STATUS_CONCAT_(cs_statusor_, __LINE__), lhs, rexpr)

#define CS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // CLEANSWEEP_COMMON_STATUS_MACROS_H_
