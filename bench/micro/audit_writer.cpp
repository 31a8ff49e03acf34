// Every submitted event gets a fresh id (ids are unique in the store), as make_event would give.
// Audit event write cost per request (SQLite store on a temp file):
//   BM_MakeEvent        building the event from an Exchange (request-path cost)
//   BM_SyncWrite        submit + wait for the commit (durability: sync: committed to the WAL,
//                       synchronous=NORMAL, no fsync); with N threads requests share a commit
//   BM_FsyncWrite       the same with durability: fsync (synchronous=FULL: one fsync per group
//                       commit, shared among the requests waiting in the batch)
//   BM_AsyncEnqueue     try_submit only (durability: async, request-path cost)
//   BM_AsyncSustained   1000 submits + flush: the sustained store throughput in async mode
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>

#include "audit/sqlite_store.h"
#include "audit/ulid.h"
#include "audit/writer.h"

namespace {

using namespace kt::audit;

struct Bench {
  explicit Bench(bool sync, bool fsync = false) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kt-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    auto store =
        std::make_shared<SqliteStore>(SqliteOptions{dir + "/events.db", false, true, fsync});
    WriterOptions o;
    o.gateway_id = "bench";
    o.sync = sync;
    writer = std::make_unique<AuditWriter>(store, o);
  }
  ~Bench() {
    writer.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<AuditWriter> writer;
};

kt::gateway::Exchange sample_exchange() {
  kt::gateway::Exchange ex;
  ex.request_id = "req-123";
  ex.client_ip = "127.0.0.1";
  ex.model = "meta/llama-3.3-70b-instruct";
  ex.body = boost::json::parse(
      R"({"model":"meta/llama-3.3-70b-instruct","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarise the attached meeting notes in three bullet points and flag any action items for [EMAIL]."}]})");
  ex.answer_text = std::string(600, 'a');
  ex.policies.push_back(
      {"prompt-injection", kt::gateway::Phase::input, "allow", "", 35, {}, false});
  ex.policies.push_back({"pii-detector", kt::gateway::Phase::input, "redact", "pii.detected", 20,
                         boost::json::object{{"EMAIL", 1}}, false});
  kt::gateway::Attempt a;
  a.target = "replicate-llama";
  a.provider = "replicate";
  a.status = 200;
  a.latency_ms = 900;
  a.ttfb_ms = 300;
  ex.attempts.push_back(a);
  ex.status = 200;
  ex.served_by = "replicate-llama";
  return ex;
}

const EventOptions kOpts{"bench", ContentMode::redacted, false};

void BM_MakeEvent(benchmark::State& state) {
  const auto ex = sample_exchange();
  for (auto _ : state) benchmark::DoNotOptimize(make_event(ex, kOpts));
}
BENCHMARK(BM_MakeEvent);

Bench* g_sync = nullptr;

void sync_write(benchmark::State& state, bool fsync) {
  if (state.thread_index() == 0) g_sync = new Bench(true, fsync);
  const Event ev = make_event(sample_exchange(), kOpts);
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Event e = ev;
    e.id = "evt_" + new_ulid();
    g_sync->writer->submit(std::move(e), [&](bool) {
      std::lock_guard lock(mu);
      done = true;
      cv.notify_one();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete g_sync;
    g_sync = nullptr;
  }
}
void BM_SyncWrite(benchmark::State& state) { sync_write(state, false); }
BENCHMARK(BM_SyncWrite)->Threads(1)->Threads(8)->UseRealTime();
void BM_FsyncWrite(benchmark::State& state) { sync_write(state, true); }
BENCHMARK(BM_FsyncWrite)->Threads(1)->Threads(8)->UseRealTime();

void BM_AsyncEnqueue(benchmark::State& state) {
  Bench b(false);
  const Event ev = make_event(sample_exchange(), kOpts);
  for (auto _ : state) {
    Event e = ev;
    e.id = "evt_" + new_ulid();
    if (!b.writer->try_submit(std::move(e))) {
      state.PauseTiming();
      b.writer->flush();
      state.ResumeTiming();
    }
  }
  b.writer->flush();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsyncEnqueue);

void BM_AsyncSustained(benchmark::State& state) {
  Bench b(false);
  const Event ev = make_event(sample_exchange(), kOpts);
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      Event e = ev;
      e.id = "evt_" + new_ulid();
      b.writer->try_submit(std::move(e));
    }
    b.writer->flush();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_AsyncSustained)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
