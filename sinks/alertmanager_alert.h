// AmAlert: one walguard alert as Alertmanager's v2 API takes it
// (POST /api/v2/alerts: a JSON array of {labels, annotations, startsAt,
// endsAt, generatorURL}), and the pure functions between the two forms.
//
// Alertmanager identifies an alert by its label set, so the labels are the
// same for the firing and the resolve of one walguard alert: alertname (the
// type), severity, entity_kind, entity_id, fingerprint, runbook, and
// event_id when the message names one. Everything that changes between
// sends goes into annotations (summary, details, alert_id).
//
// Times are the walguard host's wall clock (the messages' detected_at), so
// startsAt and endsAt come from one clock and endsAt never precedes startsAt.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct AmAlert {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  Pairs labels;       // sorted by name, names unique
  Pairs annotations;  // sorted by name, names unique
  Micros starts_at = 0;
  Micros ends_at = 0;         // the resolve time; 0 while firing (the sender sets its horizon)
  std::string generator_url;  // omitted from the JSON when empty

  bool resolved() const { return ends_at != 0; }
  // The value of a label or annotation; "" when absent.
  std::string_view Label(std::string_view name) const;
  std::string_view Annotation(std::string_view name) const;
  std::string_view fingerprint() const { return Label("fingerprint"); }
  std::string_view alert_id() const { return Annotation("alert_id"); }
};

// An alert message (CONTRACT.md section 4) as an AmAlert: firing with
// startsAt = detected_at, or resolved with endsAt = detected_at (startsAt,
// unknown here, is the resolve time too; the sender takes the firing's).
// Corruption when the payload is not an alert message.
Status AmAlertFromMessage(std::string_view payload, std::string_view generator_url, AmAlert* out);

// The body of POST /api/v2/alerts. A firing alert's endsAt is
// `firing_ends_at` (now plus a few resend intervals, so Alertmanager
// resolves it by itself if walguard stops sending), omitted when 0.
std::string AmAlertsJson(const std::vector<const AmAlert*>& alerts, Micros firing_ends_at);

// Reads back what AmAlertsJson wrote (the sender's saved firing set): a
// firing alert has no endsAt there. Corruption on anything else.
Status ParseAmAlerts(std::string_view json, std::vector<AmAlert>* out);

}  // namespace walguard
