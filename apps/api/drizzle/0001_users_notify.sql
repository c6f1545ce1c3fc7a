-- Every committed UPDATE or DELETE of a user tells each API instance (LISTEN users_changed) which id to
-- invalidate, so a row changed straight in SQL leaves no stale profile in any cache tier.
-- NOTIFY is delivered at commit, so listeners never reload the row before the change is visible.
CREATE OR REPLACE FUNCTION users_notify_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('users_changed', OLD.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER users_notify_change
AFTER UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION users_notify_change();
--> statement-breakpoint
-- Keep updated_at honest for writes that do not set it (psql, scripts).
CREATE OR REPLACE FUNCTION users_touch_updated_at() RETURNS trigger AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER users_touch_updated_at
BEFORE UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION users_touch_updated_at();
