CREATE TABLE `order_totals` (
	`currency` char(3) NOT NULL,
	`status` varchar(16) NOT NULL,
	`orders` bigint NOT NULL DEFAULT 0,
	`amount_minor` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `order_totals_currency_status_pk` PRIMARY KEY(`currency`,`status`)
);
