-- Retention ([retention] outbox_days): the sweep blanks the payloads of settled outbox rows
-- older than that, a batch at a time; this index finds them without reading the rest.
CREATE INDEX outbox_retention ON outbox (updated_at)
    WHERE payload != '{}'
      AND status IN ('sent', 'failed', 'undeliverable', 'cancelled', 'unknown');
