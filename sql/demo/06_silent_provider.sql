-- P1 Webhook down, silently (CONTRACT 3.1, webhook_silence): PagSeguro's endpoint answers 404, so no
-- processed_webhooks row is written and webhook_failures cannot see it. Three card payments have
-- been waiting for their webhook for 12 minutes.
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at) VALUES
 ('9e000000-0000-4000-8000-0000000000d1', gen_random_uuid(), 'pagseguro', 'card', 'pending', 310.00, now() - interval '12 minutes'),
 ('9e000000-0000-4000-8000-0000000000d2', gen_random_uuid(), 'pagseguro', 'card', 'processing', 455.00, now() - interval '12 minutes'),
 ('9e000000-0000-4000-8000-0000000000d3', gen_random_uuid(), 'pagseguro', 'card', 'pending', 120.00, now() - interval '11 minutes');
