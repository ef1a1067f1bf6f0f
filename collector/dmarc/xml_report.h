// The XML of one DMARC aggregate report -> DmarcReport, with libxml2's SAX2
// interface: no document tree is built, so memory stays proportional to the
// records kept, whatever the input looks like.
//
// Safety: the network is off (XML_PARSE_NONET), entities are never
// substituted (no XML_PARSE_NOENT; entity declarations are not even stored,
// so a reference to one is an undefined-entity error), no DTD is loaded,
// XML_PARSE_HUGE is off, and element depth, text length, record and list
// counts are capped (DmarcLimits).
//
// Tolerance, matching parsedmarc's: bytes that are not UTF-8 in a UTF-8
// document are dropped; a document that is not well-formed is parsed again in
// libxml2's recover mode (what lxml's recover=True does) and accepted if a
// <feedback> with its date range and policy domain comes out of it; a
// <feedback> wrapped in another element (an unclosed <xs:schema>) is found;
// element names are matched without their namespace, so RFC 9990's
// urn:ietf:params:xml:ns:dmarc-2.0 and unprefixed documents read the same;
// unknown elements are skipped; a record without a source address or with a
// count that is not a number is left out. Each of these adds a warning.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_XML_REPORT_H_
#define CLEANSWEEP_COLLECTOR_DMARC_XML_REPORT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/dmarc/dmarc_report.h"

namespace cleansweep::collector::dmarc {

// Errors carry no file name (the caller prefixes the origin) but say where:
// "line 5, column 18: not well-formed XML: ..." or "report_metadata: <begin>
// is missing". InvalidArgument for bad reports, ResourceExhausted for caps.
// The returned report's `origin` is empty; the caller fills it in.
// Thread-safe (libxml2 is initialised once).
absl::StatusOr<DmarcReport> ParseDmarcXml(absl::string_view xml, const DmarcLimits& limits);

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_XML_REPORT_H_
