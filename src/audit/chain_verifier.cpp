#include <string>

#include "audit/store.h"

namespace kt::audit {

namespace json = boost::json;

namespace {

std::string str_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t int_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return -1;
}

// The indexed columns must say what the hashed event says; a column edited on its own would
// mislead every query without touching the hash.
std::string column_mismatch(const StoredRow& row, const json::object& ev) {
  if (str_at(ev, "id") != row.id) return "id";
  if (str_at(ev, "gateway_id") != row.gateway_id) return "gateway_id";
  if (str_at(ev, "verdict") != row.verdict) return "verdict";
  if (str_at(ev, "reason_code") != row.reason_code) return "reason_code";
  if (str_at(ev, "target") != row.target) return "target";
  if (str_at(ev, "model") != row.model) return "model";
  if (int_at(ev, "status") != row.status) return "status";
  if (str_at(ev, "prev_hash") != row.prev_hash) return "prev_hash";
  return {};
}

}  // namespace

ChainVerifier::ChainVerifier(const std::optional<Checkpoint>& checkpoint)
    : expected_seq_(checkpoint ? checkpoint->seq + 1 : 1),
      expected_prev_(checkpoint ? checkpoint->hash : kGenesisHash) {}

bool ChainVerifier::fail(const StoredRow& row, std::string reason, std::string detail) {
  broken_ = ChainBreak{row.gateway_id, row.id, row.seq, std::move(reason), std::move(detail)};
  return false;
}

bool ChainVerifier::feed(const StoredRow& row) {
  if (broken_) return false;
  if (chain_hash(row.prev_hash, row.canonical) != row.hash) {
    return fail(row, "hash mismatch", "the stored event does not hash to its recorded hash");
  }
  boost::system::error_code ec;
  const json::value parsed = json::parse(row.canonical, ec);
  if (ec || !parsed.is_object()) {
    return fail(row, "hash mismatch", "the stored event is not a JSON object");
  }
  const json::object& ev = parsed.get_object();
  if (const std::string col = column_mismatch(row, ev); !col.empty()) {
    return fail(row, "hash mismatch", "column '" + col + "' differs from the hashed event");
  }
  const std::int64_t own_seq = int_at(ev, "seq");
  if (own_seq != row.seq) {
    return fail(row, "reordered",
                "event recorded at position " + std::to_string(own_seq) + " is stored at " +
                    std::to_string(row.seq));
  }
  if (row.seq > expected_seq_) {
    return fail(row, "missing predecessor",
                "positions " + std::to_string(expected_seq_) + ".." +
                    std::to_string(row.seq - 1) + " are missing");
  }
  if (row.seq < expected_seq_) {
    return fail(row, "reordered", "position " + std::to_string(row.seq) + " appears twice");
  }
  if (row.stored_at > 0 && row.stored_at < last_stored_at_) {
    return fail(row, "reordered",
                "stored before the event at position " + std::to_string(row.seq - 1));
  }
  if (row.prev_hash != expected_prev_) {
    return fail(row, "prev_hash mismatch",
                "prev_hash does not equal the hash of the event at position " +
                    std::to_string(row.seq - 1));
  }
  expected_prev_ = row.hash;
  if (row.stored_at > 0) last_stored_at_ = row.stored_at;
  ++expected_seq_;
  ++verified_;
  return true;
}

}  // namespace kt::audit
