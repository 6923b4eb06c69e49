-- realname store, PostgreSQL, version 3: per-key daily counters, so that
-- the service stays under the ID check provider's per-number daily caps
-- (the key holds the number's lookup hash, never the number).

CREATE TABLE daily_counters (
	key			TEXT NOT NULL,
	day			TEXT NOT NULL,
	n			BIGINT NOT NULL,
	PRIMARY KEY (key, day)
);
