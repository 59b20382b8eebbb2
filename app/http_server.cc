#include "app/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cassert>
#include <charconv>

namespace walguard {

namespace {
// "[::1]:9187" -> ("::1", 9187); the address was validated by the config.
bool SplitAddress(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  const std::string digits = address.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *port);
  return ec == std::errc() && end == digits.data() + digits.size() && *port > 0 && *port < 65536;
}
}  // namespace

HttpServer::HttpServer() : server_(std::make_unique<httplib::Server>()) {
  // Two threads: a scrape and a page poll at once; more would only compete
  // with the pipeline for the cores.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->set_keep_alive_max_count(100);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which lets
  // a second walguard share the port silently instead of failing to bind.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::Handle(const std::string& path, HttpHandler handler) {
  assert(!thread_.joinable());
  server_->Get(path, [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    HttpParams params(req.params.begin(), req.params.end());
    HttpResponse answer = handler(params);
    res.status = answer.status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(answer.body, answer.content_type.c_str());
  });
}

Status HttpServer::Start(const std::string& address) {
  std::string host;
  int port = 0;
  if (!SplitAddress(address, &host, &port)) {
    return Status::InvalidArgument("http address " + address + " is not HOST:PORT");
  }
  if (!server_->bind_to_port(host.c_str(), port)) {
    return Status::IOError("cannot serve HTTP on " + address + ": the port is in use or the address is not local");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("http: serving /metrics, /healthz, /readyz and / on http://{}", address);
  return Status::OK();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

size_t ParamSize(const HttpParams& params, const std::string& name, size_t fallback, size_t max) {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  size_t value = 0;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return fallback;
  return value;
}

}  // namespace walguard
