// kt-mock: a local simulator of the OpenAI and Replicate APIs with fault injection, used by kt's
// tests and benchmarks because the real providers are unreachable from CI. See README.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "mock_app.h"

namespace {

// "host:port" / "[v6]:port" / ":port" -> parts; false on a malformed value.
bool split_host_port(const std::string& value, std::string* host, unsigned short* port) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = value.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = value.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
    return false;
  unsigned long n = std::stoul(p);
  if (n > 65535) return false;
  *host = h.empty() ? "127.0.0.1" : h;
  *port = static_cast<unsigned short>(n);
  return true;
}

bool write_ready_file(const std::string& path, const std::string& line) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    out << line << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  kt::mock::Options opts;
  std::string listen = "127.0.0.1:0";
  std::string stream_listen = "127.0.0.1:0";
  std::string ready_file;
  std::string sync_quirk = "on";

  CLI::App app{"kt-mock: local simulator of the OpenAI and Replicate APIs, with fault injection"};
  app.add_option("--listen", listen, "API address host:port (port 0 = pick a free one)");
  app.add_option("--stream-listen", stream_listen,
                 "Replicate stream/file address host:port (a different origin)");
  app.add_option("--threads", opts.threads, "Worker threads")->check(CLI::Range(1, 256));
  app.add_option("--token-delay-ms", opts.token_delay_ms, "Replicate: time per output token")
      ->check(CLI::Range(0, 600000));
  app.add_option("--cold-start-ms", opts.cold_start_ms, "Replicate: starting -> processing delay")
      ->check(CLI::Range(0, 600000));
  app.add_option(
      "--require-token", opts.require_token,
      "Only this token is valid (OpenAI Bearer; Replicate Bearer/Token). Default: OpenAI "
      "accepts any, Replicate any r8_ token");
  app.add_option("--ready-file", ready_file, "Write the bound ports JSON here when ready");
  app.add_option("--sync-quirk", sync_quirk,
                 "Prefer: wait answers a finished prediction as 'processing' without metrics, as "
                 "observed on Replicate")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--journal-size", opts.journal_size,
                 "Requests kept for GET /_mock/requests (0 = off)");
  CLI11_PARSE(app, argc, argv);
  opts.sync_quirk = sync_quirk == "on";

  if (!split_host_port(listen, &opts.api_host, &opts.api_port)) {
    std::cerr << "kt-mock: --listen must be host:port, got '" << listen << "'\n";
    return 2;
  }
  if (!split_host_port(stream_listen, &opts.stream_host, &opts.stream_port)) {
    std::cerr << "kt-mock: --stream-listen must be host:port, got '" << stream_listen << "'\n";
    return 2;
  }

  try {
    auto state = std::make_unique<kt::mock::MockApp>(opts);
    kt::mock::MockApp& mock = *state;
    kt::mock::HttpServer server(
        {{opts.api_host, opts.api_port, kt::mock::Port::api},
         {opts.stream_host, opts.stream_port, kt::mock::Port::stream}},
        opts.threads, [&mock](kt::mock::Call& call) { return kt::mock::dispatch(mock, call); });
    mock.opts.api_port = server.bound_port(0);
    mock.opts.stream_port = server.bound_port(1);

    boost::asio::io_context signal_ctx;
    boost::asio::signal_set signals(signal_ctx, SIGINT, SIGTERM);
    signals.async_wait([&server](const boost::system::error_code& ec, int) {
      if (!ec) server.stop();
    });
    std::thread signal_thread([&signal_ctx] { signal_ctx.run(); });

    std::string line = "{\"api\":" + std::to_string(mock.opts.api_port) +
                       ",\"stream\":" + std::to_string(mock.opts.stream_port) + "}";
    std::cout << line << std::endl;
    if (!ready_file.empty() && !write_ready_file(ready_file, line)) {
      std::cerr << "kt-mock: cannot write --ready-file " << ready_file << "\n";
      server.stop();
    }
    server.run();
    signal_ctx.stop();
    signal_thread.join();
  } catch (const std::exception& e) {
    std::cerr << "kt-mock: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
