-- Webhook deliveries already applied, by the provider's event id (Razorpay's X-Razorpay-Event-Id), so a redelivery does no work twice.
CREATE TABLE `webhook_events` (
	`provider` varchar(16) NOT NULL,
	`event_id` varchar(64) NOT NULL,
	`received_at` datetime(3) NOT NULL,
	CONSTRAINT `webhook_events_provider_event_id_pk` PRIMARY KEY(`provider`,`event_id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_events_received_at` ON `webhook_events` (`received_at`);