#include "agent/sweep/connection_attributor.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "common/logging.h"

namespace cleansweep::agent {

ConnectionAttributor::ConnectionAttributor(HostInspectorPtr inspector,
                                           ConnectionAttributorOptions options)
    : inspector_(std::move(inspector)), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

ConnectionAttributor::~ConnectionAttributor() { Stop(); }

void ConnectionAttributor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ConnectionAttributor::OnSmtpConnectionStart(const DecodedPacket& syn) {
  Key key{Unmapped(syn.src).ToString(), Unmapped(syn.dst).ToString(), syn.src_port, syn.dst_port};
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || pending_.size() >= options_.max_pending) return;
  pending_.push_back(std::move(key));
  cv_.notify_all();
}

bool ConnectionAttributor::Annotate(cleansweep::v1::SmtpSession* session) {
  const Key key{session->client().ip(), session->server().ip(), session->client().port(),
                session->server().port()};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = attributed_.find(key);
  if (it == attributed_.end()) return false;
  session->set_pid(it->second.pid());
  session->set_process(it->second.name());
  session->set_process_exe(it->second.exe());
  // Forgotten now; its place in order_ is skipped when it comes up.
  attributed_.erase(it);
  return true;
}

void ConnectionAttributor::Run() {
  absl::Time next = absl::InfinitePast();
  while (true) {
    std::vector<Key> keys;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      // Rounds are spaced out: a burst of connections (a mass mailer) costs
      // one table read and one process scan per round, not one each.
      if (absl::Now() < next) {
        cv_.wait_until(lock, absl::ToChronoTime(next), [this] { return stopping_; });
        if (stopping_) return;
      }
      keys.swap(pending_);
    }
    const absl::Time start = absl::Now();
    Resolve(keys);
    // At least min_interval apart, and idle nine times as long as a round
    // took: on a host with many processes this stays under a tenth of a core.
    const absl::Time end = absl::Now();
    next = std::max(start + options_.min_interval, end + 9 * (end - start));
  }
}

void ConnectionAttributor::Resolve(const std::vector<Key>& keys) {
  absl::flat_hash_set<Key> wanted(keys.begin(), keys.end());
  std::vector<std::string> errors;
  absl::flat_hash_map<Key, uint64_t> inode_of;
  absl::flat_hash_set<uint64_t> inodes;
  for (const HostSocket& s : inspector_->Sockets(&errors)) {
    if (s.transport != cleansweep::v1::TRANSPORT_TCP || s.socket.inode == 0) continue;
    Key key{Unmapped(s.socket.local).ToString(), Unmapped(s.socket.remote).ToString(),
            s.socket.local_port, s.socket.remote_port};
    if (!wanted.contains(key)) continue;
    inode_of[key] = s.socket.inode;
    inodes.insert(s.socket.inode);
  }
  if (inodes.empty()) return;
  SocketOwners owners = inspector_->Owners(inodes, 1, &errors);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, inode] : inode_of) {
    auto it = owners.by_inode.find(inode);
    if (it == owners.by_inode.end() || it->second.empty()) continue;
    const cleansweep::v1::ProcessInfo& p = it->second.front();
    LOG_DEBUG("SMTP connection %s:%d -> %s:%d belongs to pid %d (%s)", key.client, key.client_port,
              key.server, key.server_port, p.pid(), p.name());
    if (attributed_.insert_or_assign(key, p).second) order_.push_back(key);
  }
  while (attributed_.size() > options_.max_entries && !order_.empty()) {
    attributed_.erase(order_.front());
    order_.pop_front();
  }
  // order_ also holds keys Annotate already forgot: drop those once they
  // outnumber the live ones, so it cannot grow without bound.
  if (order_.size() > 2 * options_.max_entries) {
    std::deque<Key> live;
    for (Key& k : order_) {
      if (attributed_.contains(k)) live.push_back(std::move(k));
    }
    order_.swap(live);
  }
}

}  // namespace cleansweep::agent
