CREATE TABLE "cache_invalidation_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cache_invalidation_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"namespace" varchar(64) NOT NULL,
	"cache_id" text NOT NULL,
	"changes" integer DEFAULT 1 NOT NULL,
	"first_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "cache_invalidation_outbox_key" ON "cache_invalidation_outbox" USING btree ("namespace","cache_id");--> statement-breakpoint
CREATE INDEX "cache_invalidation_outbox_first_changed_at" ON "cache_invalidation_outbox" USING btree ("first_changed_at");