// The one table of observers: which observer receives which packets. Adding an
// observer means adding one entry here.
#include "agent/dns/dns_observer.h"
#include "agent/observers/pipeline.h"
#include "agent/observers/worm_port_observer.h"
#include "agent/smtp/smtp_observer.h"

namespace cleansweep::agent {

std::vector<RoutedObserver> MakeObservers(const WatchConfig& config, EventSink* sink,
                                          AnomalyCounters* anomalies) {
  std::vector<RoutedObserver> table;

  SmtpObserverOptions smtp;
  smtp.ports = config.smtp_ports;
  table.push_back({"smtp", kRouteSmtp, std::make_unique<SmtpObserver>(smtp, sink, anomalies)});

  DnsObserverOptions dns;
  dns.watched_qtypes = config.dns_qtypes;
  table.push_back({"dns", kRouteDns, std::make_unique<DnsObserver>(dns, sink, anomalies)});

  WormPortOptions worm;
  worm.tcp_ports = config.worm_tcp_ports;
  worm.udp_ports = config.worm_udp_ports;
  table.push_back(
      {"worm_port", kRouteWorm, std::make_unique<WormPortObserver>(worm, sink, anomalies)});
  return table;
}

}  // namespace cleansweep::agent
