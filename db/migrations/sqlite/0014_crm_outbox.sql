-- The CRM outbox (docs/decisions/010-crm-outbox.md): every paid order's and succeeded refund's CRM state moves
-- into crm_events, a lease still running included. The old columns stay for the previous release, which runs
-- beside this one during a rolling upgrade; they no longer schedule anything that has an event, and what that
-- release queues meanwhile is adopted by the CRM worker (CrmStore.adoptLegacyCrmQueue).
CREATE TABLE `crm_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`subject_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`claimed_until` integer,
	`reference` text,
	`synced_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `crm_events_kind_subject` ON `crm_events` (`kind`,`subject_id`);--> statement-breakpoint
CREATE INDEX `crm_events_due` ON `crm_events` (`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `crm_events_kind_status_subject` ON `crm_events` (`kind`,`status`,`subject_id`);
--> statement-breakpoint
INSERT INTO `crm_events` (`kind`, `subject_id`, `status`, `attempts`, `next_attempt_at`, `claimed_until`, `reference`, `synced_at`, `last_error`, `created_at`)
SELECT 'order', `id`, `crm_sync_status`, `crm_attempts`, `crm_next_attempt_at`, `crm_claimed_until`, `crm_reference`, `crm_synced_at`, `crm_last_error`, `paid_at`
FROM `orders` WHERE `paid_at` IS NOT NULL;
--> statement-breakpoint
INSERT INTO `crm_events` (`kind`, `subject_id`, `status`, `attempts`, `next_attempt_at`, `claimed_until`, `reference`, `synced_at`, `last_error`, `created_at`)
SELECT 'refund', `id`, `crm_sync_status`, `crm_attempts`, CASE WHEN `status` = 'succeeded' THEN `crm_next_attempt_at` END, `crm_claimed_until`, `crm_reference`, `crm_synced_at`, `crm_last_error`, `updated_at`
FROM `refunds` WHERE `crm_sync_status` IS NOT NULL;
--> statement-breakpoint
UPDATE `orders` SET `crm_next_attempt_at` = NULL
WHERE `crm_next_attempt_at` IS NOT NULL AND `id` IN (SELECT `subject_id` FROM `crm_events` WHERE `kind` = 'order');
--> statement-breakpoint
UPDATE `refunds` SET `crm_next_attempt_at` = NULL
WHERE `crm_next_attempt_at` IS NOT NULL AND `id` IN (SELECT `subject_id` FROM `crm_events` WHERE `kind` = 'refund');
