#include "tests/integration/sql_oracle.h"

#include <libpq-fe.h>

#include <memory>
#include <vector>

namespace walguard::testing {

namespace {

// Every query yields (fingerprint, figures). ":now" stands for the instant
// evaluated at; "(:active)" for the statuses of an active reservation.

// Runbook 000 section 1.2's snapshot and section 3's holds, per tier.
constexpr char kTierRules[] = R"SQL(
WITH holds AS (
  SELECT tier_id,
         sum(quantity) FILTER (WHERE status = 'active') AS active_qty,
         sum(quantity) FILTER (WHERE status = 'active' AND (expires_at IS NULL OR expires_at > :now)) AS unexpired_qty,
         count(*) FILTER (WHERE status = 'active' AND :now - expires_at > interval '5 minutes') AS stuck
  FROM ticketing.ticket_holds GROUP BY tier_id),
tix AS (
  SELECT tier_id, count(*) AS n FROM ticketing.tickets WHERE status IS DISTINCT FROM 'void' GROUP BY tier_id),
f AS (
  SELECT t.id, t.quantity::bigint AS q, t.reserved_quantity::bigint AS r, t.issued_quantity::bigint AS i,
         COALESCE(h.active_qty, 0) AS active_qty, COALESCE(h.unexpired_qty, 0) AS unexpired_qty,
         COALESCE(h.stuck, 0) AS stuck, COALESCE(x.n, 0) AS tickets
  FROM ticketing.ticket_tiers t LEFT JOIN holds h ON h.tier_id = t.id LEFT JOIN tix x ON x.tier_id = t.id)
SELECT v.rule || ':tier:' || f.id, v.figures FROM f, LATERAL (VALUES
  ('stuck_holds', f.stuck >= 1,
   format('stuck_holds=%s active_hold_quantity=%s reserved_quantity=%s', f.stuck, f.active_qty, f.r)),
  ('tier_reserved_drift', f.r <> f.active_qty,
   format('reserved_quantity=%s active_hold_quantity=%s', f.r, f.active_qty)),
  ('tier_issued_drift', f.i <> f.tickets,
   format('issued_quantity=%s counting_tickets=%s', f.i, f.tickets)),
  ('high_reserved', f.r * 100 > 30 * f.q,
   format('reserved_quantity=%s quantity=%s', f.r, f.q)),
  ('false_sold_out', f.q - f.r - f.i <= 0 AND f.i * 100 < 50 * f.q AND f.r > f.unexpired_qty,
   format('available=%s issued_quantity=%s reserved_quantity=%s unexpired_hold_quantity=%s quantity=%s',
          f.q - f.r - f.i, f.i, f.r, f.unexpired_qty, f.q)),
  ('negative_available', f.q - f.r - f.i < 0,
   format('available=%s quantity=%s reserved_quantity=%s issued_quantity=%s', f.q - f.r - f.i, f.q, f.r, f.i))
) AS v(rule, firing, figures)
WHERE v.firing
)SQL";

// Section 4's orphaned payments and revenue breakdown, per order.
constexpr char kOrderRules[] = R"SQL(
WITH items AS (
  SELECT order_id, count(*) AS n, sum(quantity) AS qty, sum(quantity::bigint * unit_price_cents) AS total
  FROM ticketing.order_items GROUP BY order_id),
tix AS (
  SELECT order_id, count(*) AS n FROM ticketing.tickets WHERE status IS DISTINCT FROM 'void' GROUP BY order_id),
f AS (
  SELECT o.id, o.status, o.total_cents AS total, COALESCE(i.n, 0) AS items, COALESCE(i.qty, 0) AS qty,
         COALESCE(i.total, 0) AS items_total, COALESCE(x.n, 0) AS tickets,
         (o.paid_at IS NULL AND o.created_at IS NULL) OR
           :now >= COALESCE(o.paid_at, o.created_at) + interval '2 minutes' AS due
  FROM ticketing.orders o LEFT JOIN items i ON i.order_id = o.id LEFT JOIN tix x ON x.order_id = o.id)
SELECT v.rule || ':order:' || f.id, v.figures FROM f, LATERAL (VALUES
  ('paid_without_tickets', f.status = 'paid' AND f.due AND f.tickets = 0,
   format('counting_tickets=%s items_quantity=%s', f.tickets, f.qty)),
  ('order_overissued', f.status = 'paid' AND f.tickets > f.qty,
   format('counting_tickets=%s items_quantity=%s', f.tickets, f.qty)),
  ('revenue_mismatch', f.status = 'paid' AND f.items > 0 AND
     (f.total < f.items_total OR f.total * 100 > f.items_total * 110),
   format('total_cents=%s items_total_cents=%s', f.total, f.items_total))
) AS v(rule, firing, figures)
WHERE v.firing
)SQL";

// event_health's stale_pending_orders counter.
constexpr char kEventRules[] = R"SQL(
SELECT 'stale_pending_orders:event:' || event_id, format('stale_pending_orders=%s', count(*))
FROM ticketing.orders
WHERE status = 'pending' AND :now - created_at > interval '30 minutes'
GROUP BY event_id
)SQL";

// find_ledger_imbalances, without its date filter.
constexpr char kLedgerRules[] = R"SQL(
SELECT 'ledger_imbalance:ledger_transaction:' || transaction_id,
       format('debits=%s credits=%s difference=%s entries=%s historical=%s', d, c, d - c, n,
              COALESCE(:now - newest > interval '7 days', false))
FROM (SELECT transaction_id, count(*) AS n, max(created_at) AS newest,
             COALESCE(sum(amount) FILTER (WHERE direction = 'debit'), 0) AS d,
             COALESCE(sum(amount) FILTER (WHERE direction = 'credit'), 0) AS c
      FROM reserve.ledger_entries GROUP BY transaction_id) s
WHERE d <> c
)SQL";

// overbooking_check and step 4's bookings_count recount, per night, and the
// runbook's own calendar check; only nights on or after :today (CONTRACT 3.1).
constexpr char kCalendarRules[] = R"SQL(
WITH nights AS (
  SELECT r.unit_id, r.check_in + k AS date, count(*) AS n
  FROM reserve.reservations r, generate_series(0, r.check_out - r.check_in - 1) AS k
  WHERE r.status IN (:active)
  GROUP BY 1, 2)
SELECT 'overbooking:unit:' || n.unit_id,
       'overbooked_nights=' || string_agg(format('%s:%s>%s', n.date, n.n, COALESCE(c.allotment, 1)), ','
                                          ORDER BY n.date)
FROM nights n LEFT JOIN reserve.availability_calendar c ON c.unit_id = n.unit_id AND c.date = n.date
WHERE n.n > COALESCE(c.allotment, 1) AND n.date >= :today
GROUP BY n.unit_id
UNION ALL
SELECT 'calendar_drift:unit_date:' || c.unit_id || '/' || to_char(c.date, 'YYYY-MM-DD'),
       format('bookings_count=%s active_reservations=%s', c.bookings_count, COALESCE(n.n, 0))
FROM reserve.availability_calendar c LEFT JOIN nights n ON n.unit_id = c.unit_id AND n.date = c.date
WHERE c.bookings_count <> COALESCE(n.n, 0) AND c.date >= :today
UNION ALL
SELECT 'calendar_overcommitted:unit_date:' || c.unit_id || '/' || to_char(c.date, 'YYYY-MM-DD'),
       format('bookings_count=%s temp_holds=%s allotment=%s', c.bookings_count, c.temp_holds, c.allotment)
FROM reserve.availability_calendar c
WHERE c.bookings_count + COALESCE(c.temp_holds, 0) > c.allotment AND c.date >= :today
)SQL";

// The payment runbooks: no reservation, stuck, PIX, double charge, failure rate.
constexpr char kPaymentRules[] = R"SQL(
SELECT 'payment_without_reservation:payment:' || p.id,
       format('succeeded_at=%s booking_intent_id=%s historical=%s', p.succeeded_at, p.booking_intent_id,
              COALESCE(:now - COALESCE(p.succeeded_at, p.created_at) > interval '24 hours', false))
FROM reserve.payments p
WHERE p.status = 'succeeded'
  AND ((p.succeeded_at IS NULL AND p.created_at IS NULL) OR
       :now >= COALESCE(p.succeeded_at, p.created_at) + interval '5 minutes')
  AND NOT EXISTS (SELECT 1 FROM reserve.reservations r WHERE r.booking_intent_id = p.booking_intent_id)
UNION ALL
SELECT 'stuck_payment:payment:' || id, format('created_at=%s', created_at)
FROM reserve.payments WHERE status = 'processing' AND :now - created_at > interval '60 minutes'
UNION ALL
SELECT 'pix_pending:payment:' || id, format('created_at=%s', created_at)
FROM reserve.payments WHERE method = 'pix' AND status = 'pending' AND :now - created_at > interval '30 minutes'
UNION ALL
SELECT 'double_charge:booking_intent:' || booking_intent_id,
       format('succeeded_payments=%s total_charged=%s historical=%s', count(*), sum(amount),
              COALESCE(:now - max(succeeded_at) > interval '7 days', false))
FROM reserve.payments WHERE status = 'succeeded' GROUP BY booking_intent_id HAVING count(*) > 1
UNION ALL
SELECT 'failed_payment_rate:provider:' || provider, format('failed=%s settled=%s', f, t)
FROM (SELECT provider, count(*) AS t,
             count(*) FILTER (WHERE status = 'failed' AND COALESCE(error_code, '') NOT IN (:benign)) AS f
      FROM reserve.payments
      WHERE created_at > :now - interval '60 minutes' AND status IN ('succeeded', 'failed')
      GROUP BY provider) x
WHERE t >= 20 AND (t - f) * 100 < 80 * t
)SQL";

// The webhook-down runbook's checks, per provider.
constexpr char kWebhookRules[] = R"SQL(
SELECT 'webhook_failures:provider:' || provider,
       format('failed_last_15_min=%s processing_over_5_min=%s historical=%s', f, p, f < 5 AND p >= 1 AND p = old)
FROM (SELECT provider,
             count(*) FILTER (WHERE status = 'failed' AND received_at > :now - interval '15 minutes') AS f,
             count(*) FILTER (WHERE status = 'processing' AND :now - received_at > interval '5 minutes') AS p,
             count(*) FILTER (WHERE status = 'processing' AND :now - received_at > interval '24 hours') AS old
      FROM reserve.processed_webhooks GROUP BY provider) x
WHERE f >= 5 OR p >= 1
UNION ALL
SELECT 'webhook_silence:provider:' || provider, format('card_payments_waiting=%s', n)
FROM (SELECT provider, count(*) AS n FROM reserve.payments
      WHERE method = 'card' AND status IN ('pending', 'processing') AND :now >= created_at + interval '10 minutes'
      GROUP BY provider) x
WHERE n >= 3 AND NOT EXISTS (SELECT 1 FROM reserve.processed_webhooks w
                             WHERE w.provider = x.provider AND w.received_at > :now - interval '15 minutes')
)SQL";

// Runbook 000 section 5's cron checks, per job (CONTRACT 3.1). The latest run
// is the highest runid. cron_job_missed is judged only where SQL knows the
// schedule's interval (`N seconds`, `* * * * *`, `*/N * * * *` with N
// dividing 60: every gap is N) and the job has started a run (when walguard
// first saw a job is not in the database).
constexpr char kCronRules[] = R"SQL(
WITH finished AS (
  SELECT DISTINCT ON (jobid) jobid, runid, status, start_time, end_time
  FROM cron.job_run_details WHERE status IN ('succeeded', 'failed') ORDER BY jobid, runid DESC),
started AS (
  SELECT DISTINCT ON (jobid) jobid, start_time
  FROM cron.job_run_details WHERE start_time IS NOT NULL ORDER BY jobid, runid DESC),
jobs AS (
  SELECT COALESCE(NULLIF(jobname::text, ''), jobid::text) AS id, jobid,
         CASE WHEN schedule ~ '^\s*[0-9]+ seconds?\s*$' THEN substring(schedule FROM '[0-9]+')::int * interval '1 second'
              WHEN schedule = '* * * * *' THEN interval '1 minute'
              WHEN schedule ~ '^\*/[0-9]+ \* \* \* \*$' AND 60 % substring(schedule FROM '[0-9]+')::int = 0
                THEN substring(schedule FROM '[0-9]+')::int * interval '1 minute' END AS period
  FROM cron.job WHERE active)
SELECT 'cron_job_failed:cron_job:' || j.id, format('runid=%s', f.runid)
FROM jobs j JOIN finished f USING (jobid) WHERE f.status = 'failed'
UNION ALL
SELECT 'cron_job_slow:cron_job:' || j.id, format('runid=%s duration=%s', f.runid, f.end_time - f.start_time)
FROM jobs j JOIN finished f USING (jobid) WHERE f.end_time - f.start_time > interval '5 seconds'
UNION ALL
SELECT 'cron_job_missed:cron_job:' || j.id, format('last_start=%s period=%s', s.start_time, j.period)
FROM jobs j JOIN started s USING (jobid) WHERE :now > s.start_time + 2 * j.period
)SQL";

std::string Substitute(std::string sql, const std::string& key, const std::string& value) {
  for (size_t at = sql.find(key); at != std::string::npos; at = sql.find(key, at + value.size())) {
    sql.replace(at, key.size(), value);
  }
  return sql;
}

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultCloser>;

Status Run(PGconn* conn, const std::string& sql, std::map<std::string, std::string>* out) {
  Result res(PQexec(conn, sql.c_str()));
  ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    return Status::IOError(std::string("oracle query failed: ") + PQresultErrorMessage(res.get()) + sql);
  }
  if (out == nullptr || st != PGRES_TUPLES_OK) return Status::OK();
  for (int r = 0; r < PQntuples(res.get()); ++r) (*out)[PQgetvalue(res.get(), r, 0)] = PQgetvalue(res.get(), r, 1);
  return Status::OK();
}

}  // namespace

Status ExpectedFiring(const PgCluster& cluster, const std::string& db,
                      std::map<std::string, std::string>* fingerprint_to_figures) {
  return ExpectedFiring(cluster, db, OracleOptions{}, fingerprint_to_figures);
}

Status ExpectedFiring(const PgCluster& cluster, const std::string& db, const OracleOptions& options,
                      std::map<std::string, std::string>* fingerprint_to_figures) {
  std::unique_ptr<PGconn, ConnCloser> conn(PQconnectdb(cluster.ConnInfo(db).c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::IOError(std::string("oracle cannot connect: ") + PQerrorMessage(conn.get()));
  }
  fingerprint_to_figures->clear();
  std::vector<const char*> queries;
  if (options.ticketing) queries.insert(queries.end(), {kTierRules, kOrderRules, kEventRules});
  if (options.reserve) queries.insert(queries.end(), {kLedgerRules, kCalendarRules, kPaymentRules, kWebhookRules});
  if (options.cron) {
    Result res(PQexec(conn.get(), "SELECT to_regclass('cron.job') IS NOT NULL"));
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return Status::IOError("oracle: cannot look for cron.job");
    if (std::string(PQgetvalue(res.get(), 0, 0)) == "t") queries.push_back(kCronRules);
  }
  const std::string now = "(now() + interval '" + std::to_string(options.now_offset_seconds) + " seconds')";
  WG_RETURN_IF_ERROR(
      Run(conn.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TimeZone = 'UTC'", nullptr));
  for (const char* query : queries) {
    std::string sql = Substitute(query, ":now", now);
    sql = Substitute(sql, ":active", "'host_commit_pending', 'confirmed', 'checked_in'");
    // Today as walguard sees it: the (oracle's) clock's date in the business time zone.
    sql = Substitute(sql, ":today", "(" + now + " AT TIME ZONE '" + options.business_timezone + "')::date");
    sql = Substitute(sql, ":benign", "'card_declined', 'expired_card', 'insufficient_funds'");
    WG_RETURN_IF_ERROR(Run(conn.get(), sql, fingerprint_to_figures));
  }
  return Run(conn.get(), "COMMIT", nullptr);
}

}  // namespace walguard::testing
