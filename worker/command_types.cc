#include "worker/command_types.h"

namespace walguard {

const std::vector<CommandTypeSpec>& CommandTypes() {
  // finalize_reservation names its arguments: its second parameter
  // (p_webhook_id) has a default the command does not carry.
  static const std::vector<CommandTypeSpec> kTypes = {
      {"cleanup_expired_ticket_holds", "SELECT public.cleanup_expired_ticket_holds($event_id, $dry_run)"},
      {"reconcile_event_tickets", "SELECT public.reconcile_event_tickets($event_id, $dry_run)"},
      {"reconcile_issued_quantity", "SELECT public.reconcile_issued_quantity($tier_id, $dry_run)"},
      {"expire_pending_orders", "SELECT public.expire_pending_orders($event_id, $dry_run)"},
      {"ensure_tickets", "SELECT public.ensure_tickets($order_id, $dry_run)"},
      {"block_unit_availability", "SELECT reserve.block_unit_availability($unit_id, $from_date, $dry_run)"},
      {"recalculate_availability", "SELECT reserve.recalculate_availability($unit_id, $date, $dry_run)"},
      {"finalize_reservation", "SELECT reserve.finalize_reservation(p_payment_id => $payment_id, dry_run => $dry_run)"},
      {"poll_payment_status", "SELECT reserve.request_payment_status_poll($payment_id, $dry_run)"},
      {"refund_duplicate_charge", "SELECT reserve.refund_duplicate_charge($booking_intent_id, $payment_id, $dry_run)"},
  };
  return kTypes;
}

const CommandTypeSpec* FindCommandType(std::string_view type) {
  for (const CommandTypeSpec& spec : CommandTypes()) {
    if (type == spec.type) return &spec;
  }
  return nullptr;
}

}  // namespace walguard
