-- Tokens carry the user's token_version; a password or role change moves it, so every older token is refused.
ALTER TABLE `users` ADD `token_version` integer DEFAULT 0 NOT NULL;
