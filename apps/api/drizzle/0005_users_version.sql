ALTER TABLE "cache_invalidation_outbox" ADD COLUMN "version" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "version" bigint DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Row versions for ordered write-through (src/users/user-service.ts). Every UPDATE bumps the version in the
-- database, whoever runs it, so versions grow in commit order (two writers of one row serialize on its lock).
-- The outbox row of a change records the newest version it covers (a DELETE counts as OLD.version + 1, a change
-- after the last update), so the drains' deletes are ordered too: a late write-through set of an older row is
-- refused by the cache once the drain's delete landed.
CREATE OR REPLACE FUNCTION users_bump_version() RETURNS trigger AS $$
BEGIN
  NEW.version := OLD.version + 1;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DROP TRIGGER IF EXISTS users_bump_version ON users;
--> statement-breakpoint
CREATE TRIGGER users_bump_version
BEFORE UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION users_bump_version();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION users_invalidate_cache() RETURNS trigger AS $$
DECLARE
  changed_version bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.version + 1 ELSE NEW.version END;
BEGIN
  INSERT INTO cache_invalidation_outbox (namespace, cache_id, version) VALUES ('user', OLD.id::text, changed_version)
  ON CONFLICT (namespace, cache_id) DO UPDATE
    SET changes = cache_invalidation_outbox.changes + 1, last_changed_at = now(),
        version = GREATEST(cache_invalidation_outbox.version, EXCLUDED.version);
  PERFORM pg_notify('cache_invalidation_outbox', 'user:' || OLD.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
