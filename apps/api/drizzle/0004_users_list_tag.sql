-- Cached user.list pages carry the cache tag `users:list` (src/users/user-service.ts). A page changes when a user is
-- inserted, updated or deleted. Updates and deletes already write their user's outbox row (0003), whose delivery
-- invalidates the tag too. Inserts write one row per statement for the tag itself, coalesced like the others, so a
-- bulk seed (or an INSERT from outside the API) queues one invalidation, not one per row. Delivered by the drains
-- (src/db/outbox.ts, target "tag") once Redis acknowledged `invalidateTags`.
CREATE OR REPLACE FUNCTION users_invalidate_list() RETURNS trigger AS $$
BEGIN
  INSERT INTO cache_invalidation_outbox (namespace, cache_id) VALUES ('tag', 'users:list')
  ON CONFLICT (namespace, cache_id) DO UPDATE
    SET changes = cache_invalidation_outbox.changes + 1, last_changed_at = now();
  PERFORM pg_notify('cache_invalidation_outbox', 'tag:users:list');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DROP TRIGGER IF EXISTS users_invalidate_list ON users;
--> statement-breakpoint
CREATE TRIGGER users_invalidate_list
AFTER INSERT ON users
FOR EACH STATEMENT EXECUTE FUNCTION users_invalidate_list();
