-- The ticketing schema of runbook 000, as walguard's demo and tests use it.
-- walguard needs none of this in a user's database: it reads the columns of
-- CONTRACT.md section 1 and ignores the rest (extra columns here on purpose).
-- REPLICA IDENTITY stays DEFAULT: UPDATE/DELETE carry only the primary key.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS ticketing;

CREATE TABLE IF NOT EXISTS ticketing.events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL,
  starts_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ticketing.ticket_tiers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL REFERENCES ticketing.events(id),
  name text NOT NULL,
  description text,                      -- may be large enough to be TOASTed
  price_cents int NOT NULL,
  quantity int NOT NULL,
  reserved_quantity int NOT NULL DEFAULT 0,
  issued_quantity int NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'on_sale',
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ticketing.ticket_holds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tier_id uuid NOT NULL REFERENCES ticketing.ticket_tiers(id),
  user_id uuid,
  quantity int NOT NULL,
  status text NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL DEFAULT now() + interval '15 minutes'
);

CREATE TABLE IF NOT EXISTS ticketing.orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL REFERENCES ticketing.events(id),
  user_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  total_cents bigint NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  paid_at timestamptz
);

CREATE TABLE IF NOT EXISTS ticketing.order_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL REFERENCES ticketing.orders(id),
  tier_id uuid NOT NULL REFERENCES ticketing.ticket_tiers(id),
  quantity int NOT NULL,
  unit_price_cents int NOT NULL
);

CREATE TABLE IF NOT EXISTS ticketing.tickets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL REFERENCES ticketing.orders(id),
  tier_id uuid NOT NULL REFERENCES ticketing.ticket_tiers(id),
  status text NOT NULL DEFAULT 'issued',
  qr_code text,
  created_at timestamptz NOT NULL DEFAULT now()
);
