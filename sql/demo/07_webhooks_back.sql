-- The endpoint is fixed (runbook 002, P1 Webhook Down): the provider's retries arrive again.
INSERT INTO reserve.processed_webhooks (provider, event_id, event_type, status, received_at)
VALUES ('pagseguro', 'evt_demo_retry_1', 'payment_intent.succeeded', 'completed', now());
