// cleansweep-collector: flags → configuration → the subcommand that does the work
// (collector/cli/commands.h). Exit codes: 0 ok, 1 runtime failure, 2 bad usage.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "collector/cli/addresses_command.h"
#include "collector/cli/commands.h"
#include "collector/cli/hosts_commands.h"
#include "collector/audit/verdict.h"
#include "collector/cli/audit_command.h"
#include "collector/cli/findings_command.h"
#include "collector/cli/rules_command.h"
#include "collector/cli/sweep_command.h"
#include "collector/cli/sweep_view.h"
#include "collector/web/http_user_command.h"
#include "collector/web/status_page.h"

int main(int argc, char** argv) {
  using namespace cleansweep::collector;
  CLI::App app{"cleansweep collector: receives agents' events over gRPC and stores them"};
  app.require_subcommand(1);

  ServeConfig serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the gRPC service agents report to");
  serve_cmd->add_option("--db", serve.db_path, "SQLite database file (created if missing)")
      ->required();
  serve_cmd->add_option("--listen", serve.listen_address, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  serve_cmd->add_option("--tls-cert", serve.tls_cert_file, "Server certificate chain (PEM)");
  serve_cmd->add_option("--tls-key", serve.tls_key_file, "Server private key (PEM)");
  serve_cmd->add_option("--enroll-secret-file", serve.enroll_secret_file,
                        "File with the enrollment secrets agents may enroll with, one per line "
                        "(# comments; deploy/pki.sh makes one)")
      ->required();
  serve_cmd->add_flag("--insecure", serve.insecure,
                      "Serve plain text without TLS (local tests only)");
  serve_cmd->add_option("--smtp-ports", serve.smtp_ports,
                        "SMTP ports agents watch, e.g. 25,465,587,2525 (default)");
  serve_cmd->add_option("--worm-ports", serve.worm_ports,
                        "Worm ports agents watch, e.g. tcp:3127-3198,1080,udp:69");
  serve_cmd->add_option("--dns-qtypes", serve.dns_qtypes,
                        "DNS query types agents report, e.g. 15 (MX, default)");
  serve_cmd->add_option("--rules", serve.rules_dir,
                        "Rules directory (worms, detection, site .textproto): refuse to start "
                        "if invalid; agents watch the ports it names; SIGHUP reloads it");
  serve_cmd->add_option("--admin-socket", serve.admin_socket,
                        "Local admin endpoint for `sweep` (Unix socket, mode 0600; default "
                        "DB-admin.sock next to --db; off = none)");
  serve_cmd->add_option("--http", serve.http_address,
                        "Status page ADDR:PORT (port 0 picks a free one), or off; an address "
                        "other than loopback needs --http-tls-cert, --http-tls-key and "
                        "--http-users")
      ->capture_default_str();
  serve_cmd->add_option("--http-tls-cert", serve.http_tls_cert,
                        "Status page certificate chain (PEM): serve HTTPS");
  serve_cmd->add_option("--http-tls-key", serve.http_tls_key, "Status page private key (PEM)");
  serve_cmd->add_option("--http-users", serve.http_users,
                        "Status page login: a file of USER:HASH lines (make one with "
                        "http-user NAME); needs TLS");
  serve_cmd->add_option("--tls-buffers", serve.tls_buffers,
                        "With --tls-termination grpc, per-connection TLS buffers: lean (OpenSSL "
                        "frees idle record buffers, 1 KiB BIO pairs) or default (gRPC's and "
                        "OpenSSL's sizes)")
      ->check(CLI::IsMember({"lean", "default"}))
      ->capture_default_str();
  serve_cmd->add_option("--tls-termination", serve.tls_termination,
                        "Who runs the agents' TLS: relay (the collector's own TLS endpoint "
                        "relaying to gRPC inside the process: least memory per idle agent) or "
                        "grpc (gRPC's TLS layer, tuned by --tls-buffers)")
      ->check(CLI::IsMember({"relay", "grpc"}))
      ->capture_default_str();
  serve_cmd->add_option("--malloc-mmap-threshold", serve.malloc_mmap_threshold,
                        "Bytes from which an allocation gets pages of its own (glibc "
                        "M_MMAP_THRESHOLD); 8192 makes idle agents cheaper but slows "
                        "ingest; 0 = glibc's adaptive threshold")
      ->check(CLI::Range(0, 32 << 20))
      ->capture_default_str();

  web::HttpUserConfig http_user;
  CLI::App* http_user_cmd = app.add_subcommand(
      "http-user",
      "Print a status page login line (USER:HASH for --http-users) for the password read "
      "from standard input");
  http_user_cmd->add_option("NAME", http_user.name, "The user name")->required();
  http_user_cmd->add_option("--iterations", http_user.iterations, "PBKDF2 iterations")
      ->capture_default_str();

  EventsConfig events;
  CLI::App* events_cmd = app.add_subcommand("events", "List stored events");
  events_cmd->add_option("--db", events.db_path, "SQLite database file")->required();
  events_cmd->add_option("--agent", events.agent_id, "Only this agent id");
  events_cmd->add_option("--since", events.since,
                         "Only events at or after: RFC 3339, YYYY-MM-DD, @UNIX, or 2h/90m/1d ago");
  events_cmd->add_option("--limit", events.limit, "At most N events, oldest first (0 = all)");
  events_cmd->add_flag("--json", events.json,
                       "One JSON object per line: {\"agentId\",\"receivedTime\",\"event\"}");

  AgentsConfig agents;
  CLI::App* agents_cmd = app.add_subcommand("agents", "List agents that have reported");
  agents_cmd->add_option("--db", agents.db_path, "SQLite database file (required)");
  agents_cmd->add_flag("--json", agents.json, "One JSON object per line");
  AgentsRevokeConfig revoke;
  CLI::App* revoke_cmd = agents_cmd->add_subcommand(
      "revoke", "Refuse an agent's node key from now on (the id cannot enroll again)");
  revoke_cmd->add_option("--db", revoke.db_path, "SQLite database file")->required();
  revoke_cmd->add_option("ID", revoke.agent_id, "The agent id to revoke")->required();

  InventoryImportConfig inventory_import;
  CLI::App* inventory_cmd = app.add_subcommand("inventory", "Manage the list of expected hosts");
  inventory_cmd->require_subcommand(1);
  CLI::App* import_cmd = inventory_cmd->add_subcommand(
      "import", "Replace the expected hosts with a CSV file (header hostname,mac,owner)");
  import_cmd
      ->add_option("--db", inventory_import.db_path, "SQLite database file (created if missing)")
      ->required();
  import_cmd->add_option("FILE", inventory_import.csv_path,
                         "CSV file: hostname,mac,owner (mac and owner optional)")
      ->required();

  HostsConfig hosts;
  CLI::App* hosts_cmd = app.add_subcommand(
      "hosts", "Expected and seen hosts: status, 24 h coverage, capture loss, lost-event gaps");
  hosts_cmd->add_option("--db", hosts.db_path, "SQLite database file")->required();
  hosts_cmd->add_flag("--json", hosts.json, "One JSON object per line");
  hosts_cmd->add_option("--now", hosts.now,
                        "Evaluate as of this time: RFC 3339, YYYY-MM-DD, @UNIX, or 2h/90m/1d ago");

  AddressesConfig addresses;
  CLI::App* addresses_cmd = app.add_subcommand(
      "addresses", "Which host had which address when (from the agents' host facts)");
  addresses_cmd->add_option("--db", addresses.db_path, "SQLite database file")->required();
  addresses_cmd->add_option("--ip", addresses.ip, "Only this IPv4 or IPv6 address");
  addresses_cmd->add_option("--host", addresses.host, "Only this agent id or hostname");
  addresses_cmd->add_option("--at", addresses.at,
                            "Only addresses held at this time: RFC 3339, YYYY-MM-DD, @UNIX, or "
                            "2h/90m/1d ago");
  addresses_cmd->add_flag("--json", addresses.json, "One JSON object per line");

  RulesCheckConfig rules_check;
  CLI::App* rules_cmd = app.add_subcommand("rules", "Detection rules, worm knowledge base, site");
  rules_cmd->require_subcommand(1);
  CLI::App* rules_check_cmd = rules_cmd->add_subcommand(
      "check", "Validate a rules directory (worms, detection, site .textproto); exit 1 on error");
  rules_check_cmd
      ->add_option("DIR", rules_check.dir,
                   "Rules directory; default \"rules\" in the current working directory")
      ->capture_default_str();

  FindingsConfig findings;
  CLI::App* findings_cmd = app.add_subcommand(
      "findings", "Re-judge stored events of a time range with a rules directory");
  findings_cmd->add_option("--db", findings.db_path, "SQLite database file")->required();
  findings_cmd
      ->add_option("--from", findings.from,
                   "Start: RFC 3339, YYYY-MM-DD, @UNIX, or 2h/90m/1d ago")
      ->required();
  findings_cmd->add_option("--to", findings.to, "End, same forms (default: now)");
  findings_cmd
      ->add_option("--rules", findings.rules_dir,
                   "Rules directory (worms, detection, site .textproto)")
      ->capture_default_str();
  findings_cmd->add_flag("--json", findings.json, "One JSON object (FindingReport) on stdout");
  findings_cmd->add_flag("--live", findings.live,
                         "Show what the running collector's live detector stored instead of "
                         "re-judging");

  SweepConfig sweep;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep",
      "Ask every agent to check its host now (listening backdoor ports, outbound SMTP with "
      "their processes, hosts-file redirects, capture health) through the running collector. "
      "Agents that are offline get it when they connect, until it expires. Exit 0 all answered "
      "and clean, 1 something found, 2 not all answered within --wait, 3 bad usage or the "
      "collector cannot be reached");
  sweep_cmd->add_option("--admin-socket", sweep.admin_socket,
                        "The collector's admin socket (serve --admin-socket)");
  sweep_cmd->add_option("--db", sweep.db_path,
                        "The collector's database: its admin socket is DB-admin.sock (used when "
                        "--admin-socket is not given; without either, /run/cleansweep/admin.sock)");
  sweep_cmd->add_option("--wait", sweep.wait,
                        "Wait this long for the answers, showing progress (e.g. 30s, 5m; "
                        "default 0: issue and report at once)");
  sweep_cmd->add_option("--expires", sweep.expires,
                        "Agents that are offline get the sweep if they connect within this time")
      ->capture_default_str();
  sweep_cmd->add_flag("--json", sweep.json,
                      "The sweep and every answer as one JSON object (cleansweep.v1.SweepStatus) "
                      "on stdout; progress on stderr");

  SweepsConfig sweeps;
  CLI::App* sweeps_cmd = app.add_subcommand(
      "sweeps", "Stored sweeps and every agent's answer (reads the database)");
  sweeps_cmd->add_option("--db", sweeps.db_path, "SQLite database file")->required();
  sweeps_cmd->add_option("--id", sweeps.sweep_id, "Show this sweep with every answer in full");
  sweeps_cmd->add_option("--limit", sweeps.limit, "At most N sweeps, newest first")
      ->capture_default_str();
  sweeps_cmd->add_flag("--json", sweeps.json,
                       "One JSON object (cleansweep.v1.SweepStatus, answers included) per line");

  AuditConfig audit;
  CLI::App* audit_cmd = app.add_subcommand(
      "audit",
      "Answer a complaint for a time window: coverage, egress, findings, the complaint, a "
      "verdict. Exit 0 clean, 1 infected, 2 inconclusive, 3 bad usage or input");
  audit_cmd->add_option("--db", audit.db_path, "SQLite database file");
  audit_cmd->add_option("--from", audit.from,
                        "Start: RFC 3339, YYYY-MM-DD, @UNIX, or 2h/90m/1d ago");
  audit_cmd->add_option("--to", audit.to, "End, same forms (default: now)");
  audit_cmd->add_option("--rules", audit.rules_dir, "Rules directory")->capture_default_str();
  audit_cmd->add_option("--complaint", audit.complaints,
                        "A complaint mail (.eml): bounce, virus notice, ARF report; repeatable");
  audit_cmd->add_option("--dmarc", audit.dmarc,
                        "A DMARC aggregate report (.xml, .gz, .zip or mail); repeatable");
  audit_cmd->add_option("--trusted", audit.trusted,
                        "A relay of the recipient's own system (CIDR or host name); repeatable");
  audit_cmd->add_option("--format", audit.format, "text, json or html")->capture_default_str();
  audit_cmd->add_option("--audience", audit.audience,
                        "internal (everything) or external (no internal names or addresses)")
      ->capture_default_str();
  audit_cmd->add_option("--out", audit.out, "Write the report here instead of stdout");
  audit_cmd->add_option("--signing-key", audit.signing_key,
                        "Ed25519 private key (PEM) to sign the evidence digest with");
  audit_cmd->add_option("--skew", audit.skew,
                        "Clock-skew margin around a complaint's time")->capture_default_str();
  AuditVerifyConfig audit_verify;
  CLI::App* verify_cmd = audit_cmd->add_subcommand(
      "verify", "Check a JSON audit report's evidence digest and signature; exit 0 if intact");
  verify_cmd->add_option("REPORT", audit_verify.report, "The report (audit --format json)")
      ->required();
  verify_cmd->add_option("--public-key", audit_verify.public_key,
                         "PEM public key the signature must have been made with");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    // The audit promises 3 for bad usage (0-2 are verdicts).
    if (argc > 1 && std::string(argv[1]) == "sweep") return kSweepBadUsage;
    return argc > 1 && std::string(argv[1]) == "audit" ? kAuditBadInput : kExitUsage;
  }

  if (serve_cmd->parsed()) {
    serve.http_address_given = serve_cmd->count("--http") > 0;
    return RunServe(serve, web::StartStatusPage);
  }
  if (http_user_cmd->parsed()) return web::RunHttpUser(http_user);
  if (sweep_cmd->parsed()) return RunSweepCommand(sweep);
  if (sweeps_cmd->parsed()) return RunSweepsCommand(sweeps);
  if (events_cmd->parsed()) return RunEvents(events);
  if (revoke_cmd->parsed()) return RunAgentsRevoke(revoke);
  if (agents_cmd->parsed() && agents.db_path.empty()) {
    std::fprintf(stderr, "agents: --db is required\nRun with --help for more information.\n");
    return kExitUsage;
  }
  if (agents_cmd->parsed()) return RunAgents(agents);
  if (import_cmd->parsed()) return RunInventoryImport(inventory_import);
  if (hosts_cmd->parsed()) return RunHosts(hosts);
  if (addresses_cmd->parsed()) return RunAddresses(addresses);
  if (rules_check_cmd->parsed()) return RunRulesCheck(rules_check);
  if (findings_cmd->parsed()) return RunFindings(findings);
  if (verify_cmd->parsed()) return RunAuditVerify(audit_verify);
  if (audit_cmd->parsed()) {
    if (audit.db_path.empty() || audit.from.empty()) {
      std::fprintf(stderr, "audit: --db and --from are required\nRun with --help for more "
                           "information.\n");
      return kAuditBadInput;
    }
    return RunAudit(audit);
  }
  return kExitUsage;
}
