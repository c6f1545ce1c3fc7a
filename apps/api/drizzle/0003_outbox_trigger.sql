-- Durable invalidation (transactional outbox). Every UPDATE or DELETE of a user writes an outbox row in the
-- same transaction as the change, so the invalidation commits (or rolls back) with it and survives any
-- instance's restart or a Redis outage. Changes of one user coalesce into its one row, so the outbox never
-- holds more rows than there are distinct changed users. The instances drain the rows into the cache
-- (src/db/outbox.ts) and delete a row only after Redis acknowledged the delete.
-- NOTIFY only wakes the drains (delivered at commit). Its payload, `user:<id>`, also lets an instance that
-- cannot hear the cache's bus drop the key from its own L1 (the drainer's delete cannot reach it then).
DROP TRIGGER IF EXISTS users_notify_change ON users;
--> statement-breakpoint
DROP FUNCTION IF EXISTS users_notify_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION users_invalidate_cache() RETURNS trigger AS $$
BEGIN
  INSERT INTO cache_invalidation_outbox (namespace, cache_id) VALUES ('user', OLD.id::text)
  ON CONFLICT (namespace, cache_id) DO UPDATE
    SET changes = cache_invalidation_outbox.changes + 1, last_changed_at = now();
  PERFORM pg_notify('cache_invalidation_outbox', 'user:' || OLD.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER users_invalidate_cache
AFTER UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION users_invalidate_cache();
