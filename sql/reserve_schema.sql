-- The Reserve Connect schema of runbook 002, as walguard's demo and tests use
-- it. walguard reads only the columns of CONTRACT.md section 1; the extra
-- columns are here on purpose. REPLICA IDENTITY stays DEFAULT.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS reserve;

CREATE TABLE IF NOT EXISTS reserve.booking_intents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id uuid NOT NULL,
  check_in date NOT NULL,
  check_out date NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  guest_email text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS reserve.payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  booking_intent_id uuid NOT NULL,
  provider text NOT NULL,
  method text NOT NULL DEFAULT 'card',
  status text NOT NULL DEFAULT 'pending',
  amount numeric(14,2) NOT NULL,
  currency text NOT NULL DEFAULT 'BRL',
  gateway_payment_id text,
  error_code text,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  succeeded_at timestamptz
);

CREATE TABLE IF NOT EXISTS reserve.reservations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  booking_intent_id uuid,
  confirmation_code text,
  unit_id uuid NOT NULL,
  check_in date NOT NULL,
  check_out date NOT NULL,
  status text NOT NULL DEFAULT 'host_commit_pending',
  payment_status text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS reserve.ledger_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  transaction_id uuid NOT NULL,
  entry_type text,
  account text NOT NULL,
  direction text NOT NULL,
  amount numeric(14,2) NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS reserve.availability_calendar (
  unit_id uuid NOT NULL,
  date date NOT NULL,
  allotment int NOT NULL DEFAULT 1,
  bookings_count int NOT NULL DEFAULT 0,
  temp_holds int NOT NULL DEFAULT 0,
  is_available bool NOT NULL DEFAULT true,
  is_blocked bool NOT NULL DEFAULT false,
  PRIMARY KEY (unit_id, date)
);

CREATE TABLE IF NOT EXISTS reserve.processed_webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  status text NOT NULL DEFAULT 'processing',
  payload jsonb,
  received_at timestamptz NOT NULL DEFAULT now()
);
