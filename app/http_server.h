// HttpServer: the operations endpoint of `walguard run` and `walguard worker`
// (`--http ADDR:PORT`, config http_address; docs/reference.md, Operations),
// on cpp-httplib's own threads.
//
// Handlers run on those threads, never on the pipeline's or the worker's
// loop: they read what the loop published (a mutex-guarded copy) and the
// state through its own read-only view, so a slow scrape never stalls
// replication.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "util/status.h"

namespace httplib {
class Server;
}

namespace walguard {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Query parameters of the request, decoded.
using HttpParams = std::multimap<std::string, std::string>;
using HttpHandler = std::function<HttpResponse(const HttpParams& params)>;

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // GET `path` (exact match). Before Start only.
  void Handle(const std::string& path, HttpHandler handler);

  // Binds HOST:PORT ("[V6]:PORT" too) and serves on a thread of its own.
  // IOError naming the address when it cannot bind (in use, not local).
  Status Start(const std::string& address);
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// The value of `name`, or `fallback` when absent or not a number in [0, max].
size_t ParamSize(const HttpParams& params, const std::string& name, size_t fallback, size_t max);

}  // namespace walguard
