CREATE TABLE `change_counters` (
	`name` varchar(32) NOT NULL,
	`value` bigint NOT NULL,
	CONSTRAINT `change_counters_name` PRIMARY KEY(`name`)
);
