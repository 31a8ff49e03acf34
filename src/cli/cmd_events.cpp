// kt events tail [--db] [--since] [--verdict] [--limit] [--json] [--follow]
// kt events export [--db] --since … [--until …] --format json|csv [--output f]
// Read the local event store (default $KT_AUDIT_DB or ./kt-events.db); never write to it.
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "audit/open.h"
#include "audit/time_format.h"
#include "cli/command.h"

namespace kt::cli {
namespace {

namespace json = boost::json;

struct EventsArgs {
  std::string db, since, until, verdict, format = "json", output;
  std::size_t limit = 50;
  bool json = false, follow = false;
};

std::shared_ptr<audit::EventStore> open_db(const std::string& db) {
  audit::StoreLocation where;
  const char* env = std::getenv("KT_AUDIT_DB");
  where.path = !db.empty() ? db : env && *env ? env : audit::kDefaultDbPath;
  return audit::open_store(where, audit::OpenOptions{.read_only = true});
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return v->get_string().empty() ? "-" : std::string(v->get_string());
  if (v->is_double()) {  // Boost.JSON writes 1.25E1; people read 12.5
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v->get_double());
    return std::string(buf, end);
  }
  return json::serialize(*v);
}

void print_line(const json::object& ev, bool as_json) {
  if (as_json) {
    std::cout << json::serialize(ev) << "\n";
    return;
  }
  std::cout << str(ev, "timestamp") << "  " << str(ev, "verdict") << "  " << str(ev, "status")
            << "  " << str(ev, "model") << "  " << str(ev, "target") << "  "
            << str(ev, "reason_code") << "  " << str(ev, "latency_ms") << "ms  " << str(ev, "id")
            << "\n";
}

// Fills the time bounds; false (after printing why) when one does not parse.
bool time_bounds(const EventsArgs& a, audit::Filter& f) {
  const std::int64_t now = audit::now_ms();
  if (!a.since.empty()) {
    f.since_ms = audit::parse_since(a.since, now);
    if (!f.since_ms) {
      std::cerr << "error: --since must be a duration (30s, 5m, 1h, 24h, 7d) or an RFC 3339 time\n";
      return false;
    }
  }
  if (!a.until.empty()) {
    f.until_ms = audit::parse_since(a.until, now);
    if (!f.until_ms) {
      std::cerr << "error: --until must be a duration (30s, 5m, 1h, 24h, 7d) or an RFC 3339 time\n";
      return false;
    }
  }
  return true;
}

int run_tail(const EventsArgs& a) {
  audit::Filter f;
  f.verdict = a.verdict;
  f.limit = a.limit;
  if (!time_bounds(a, f)) return 1;
  try {
    auto store = open_db(a.db);
    auto rows = store->query(f);  // newest first; printed oldest first
    std::int64_t last = 0;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      print_line(it->event, a.json);
      last = std::max(last, it->cursor);
    }
    std::cout.flush();
    while (a.follow) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      audit::Filter next = f;
      next.after_cursor = last;
      next.oldest_first = true;
      next.limit = 0;
      for (const auto& row : store->query(next)) {
        print_line(row.event, a.json);
        last = row.cursor;
      }
      std::cout.flush();
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string at_path(const json::object& o, std::string_view key, std::string_view sub) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_object()) return "";
  const std::string s = str(v->get_object(), sub);
  return s == "-" ? "" : s;
}

void write_csv_row(std::ostream& out, const json::object& ev) {
  auto field = [&](std::string_view k) {
    const std::string s = str(ev, k);
    return csv_field(s == "-" ? "" : s);
  };
  out << field("id") << ',' << field("timestamp") << ',' << field("gateway_id") << ','
      << field("request_id") << ',' << field("route") << ',' << field("model") << ','
      << field("target") << ',' << field("stream") << ',' << field("verdict") << ','
      << field("reason_code") << ',' << field("status") << ',' << field("degraded") << ','
      << field("latency_ms") << ',' << csv_field(at_path(ev, "usage", "prompt_tokens")) << ','
      << csv_field(at_path(ev, "usage", "completion_tokens")) << ','
      << csv_field(at_path(ev, "client", "ip")) << ',' << field("seq") << ','
      << field("prev_hash") << ',' << field("hash") << "\n";
}

int run_export(const EventsArgs& a) {
  audit::Filter f;
  if (!time_bounds(a, f)) return 1;
  f.oldest_first = true;
  f.limit = 1000;
  std::ofstream file;
  if (!a.output.empty()) {
    file.open(a.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "error: cannot write " << a.output << "\n";
      return 1;
    }
  }
  std::ostream& out = a.output.empty() ? std::cout : file;
  std::size_t count = 0;
  try {
    auto store = open_db(a.db);
    if (a.format == "csv") {
      out << "id,timestamp,gateway_id,request_id,route,model,target,stream,verdict,reason_code,"
             "status,degraded,latency_ms,prompt_tokens,completion_tokens,client_ip,seq,"
             "prev_hash,hash\n";
    } else {
      out << "[";
    }
    while (true) {
      const auto page = store->query(f);
      for (const auto& row : page) {
        if (a.format == "csv") {
          write_csv_row(out, row.event);
        } else {
          out << (count ? ",\n" : "\n") << json::serialize(row.event);
        }
        ++count;
        f.after_cursor = row.cursor;
      }
      if (page.size() < f.limit) break;
    }
    if (a.format != "csv") out << (count ? "\n]\n" : "]\n");
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  out.flush();
  if (!out) {
    std::cerr << "error: writing the export failed\n";
    return 1;
  }
  if (!a.output.empty()) std::cerr << "exported " << count << " events to " << a.output << "\n";
  return 0;
}

const Command events_tail_cmd{"events", [](CLI::App& group) {
  auto a = std::make_shared<EventsArgs>();
  auto* sub = group.add_subcommand("tail", "Show recent decision events");
  sub->add_option("--db", a->db, "SQLite event store (default: $KT_AUDIT_DB or ./kt-events.db)");
  sub->add_option("--since", a->since, "5m | 1h | 24h | 7d | an RFC 3339 time");
  sub->add_option("--verdict", a->verdict, "Only this verdict")
      ->check(CLI::IsMember({"allow", "block", "redact", "escalate"}));
  sub->add_option("--limit", a->limit, "How many events (default 50)")
      ->check(CLI::Range(1, 100000));
  sub->add_flag("--json", a->json, "One JSON event per line");
  sub->add_flag("--follow,-f", a->follow, "Keep printing new events");
  sub->callback([a] { set_exit_code(run_tail(*a)); });
}};

const Command events_export_cmd{"events", [](CLI::App& group) {
  auto a = std::make_shared<EventsArgs>();
  auto* sub = group.add_subcommand("export", "Export decision events as JSON or CSV");
  sub->add_option("--db", a->db, "SQLite event store (default: $KT_AUDIT_DB or ./kt-events.db)");
  sub->add_option("--since", a->since, "5m | 1h | 24h | 7d | an RFC 3339 time")->required();
  sub->add_option("--until", a->until, "5m | 1h | 24h | 7d | an RFC 3339 time (exclusive)");
  sub->add_option("--format", a->format, "json | csv")
      ->required()
      ->check(CLI::IsMember({"json", "csv"}));
  sub->add_option("--output,-o", a->output, "Write to this file instead of stdout");
  sub->callback([a] { set_exit_code(run_export(*a)); });
}};

}  // namespace
}  // namespace kt::cli
