#include "worker/worker_board.h"

#include <libpq-fe.h>

namespace walguard {

bool PostgresAccepting(const std::string& conninfo) {
  return PQping(conninfo.c_str()) == PQPING_OK;
}

}  // namespace walguard
