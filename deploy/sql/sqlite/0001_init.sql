-- realname store, SQLite, version 1.  Applied by store_migrate() in one
-- transaction with its schema_migrations row; never edit once applied:
-- add 0002_... instead.  Times are UTC milliseconds since the epoch.

CREATE TABLE cases (
	id			TEXT PRIMARY KEY CHECK (length(id) = 32),
	order_ref		TEXT NOT NULL,
	channel			TEXT NOT NULL,
	declared_name		TEXT NOT NULL,
	id_number		TEXT NOT NULL,
	id_number_hash		TEXT NOT NULL,	-- keyed hash, for lookups
	callback_url		TEXT NOT NULL,
	token_hash		TEXT NOT NULL,	-- SHA-256 of the upload token
	token_expires_at	INTEGER NOT NULL,
	state			TEXT NOT NULL CHECK (state IN ('OPEN',
				    'SUBMITTED', 'PROCESSING', 'PARKED',
				    'APPROVED', 'REJECTED', 'REVIEW',
				    'EXPIRED')),
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL,
	submitted_at		INTEGER,
	queued_at		INTEGER,	-- queue order
	retry_at		INTEGER,	-- PARKED: due again at
	attempts_front		INTEGER NOT NULL DEFAULT 0,
	attempts_back		INTEGER NOT NULL DEFAULT 0,
	attempts_holding	INTEGER NOT NULL DEFAULT 0,
	accepted_front		INTEGER NOT NULL DEFAULT 0,
	accepted_back		INTEGER NOT NULL DEFAULT 0,
	accepted_holding	INTEGER NOT NULL DEFAULT 0,
	lease_owner		TEXT,
	lease_token		TEXT,
	lease_expires_at	INTEGER,
	claims			INTEGER NOT NULL DEFAULT 0,
	decision		TEXT,		-- JSON: figures and the rule
	reasons			TEXT,		-- JSON
	decided_at		INTEGER
);
CREATE INDEX cases_queue ON cases (state, queued_at);
CREATE INDEX cases_id_number_hash ON cases (id_number_hash, state);
CREATE INDEX cases_order_ref ON cases (order_ref);

-- Encrypted image bytes live with the case; retention sets data to NULL
-- and keeps the hash and the figures.
CREATE TABLE images (
	case_id			TEXT NOT NULL REFERENCES cases (id),
	side			TEXT NOT NULL CHECK (side IN ('front', 'back',
				    'holding')),
	data			BLOB,
	plain_sha256		TEXT NOT NULL,
	key_id			TEXT NOT NULL,
	figures			TEXT NOT NULL,
	byte_len		INTEGER NOT NULL,
	created_at		INTEGER NOT NULL,
	purged_at		INTEGER,
	PRIMARY KEY (case_id, side)
);
CREATE INDEX images_plain_sha256 ON images (plain_sha256);
CREATE INDEX images_created_at ON images (created_at);

-- One row per webhook; its id is the delivery id, stable across retries.
CREATE TABLE outbox (
	id			TEXT PRIMARY KEY,
	case_id			TEXT NOT NULL REFERENCES cases (id),
	event			TEXT NOT NULL,
	url			TEXT NOT NULL CHECK (url GLOB 'http://*' OR
				    url GLOB 'https://*'),
	payload			TEXT NOT NULL,
	state			TEXT NOT NULL CHECK (state IN ('PENDING',
				    'DELIVERED', 'FAILED')),
	attempts		INTEGER NOT NULL DEFAULT 0,
	next_attempt_at		INTEGER NOT NULL,
	lease_owner		TEXT,
	lease_token		TEXT,
	lease_expires_at	INTEGER,
	created_at		INTEGER NOT NULL,
	delivered_at		INTEGER,
	last_status		INTEGER,
	last_error		TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_case ON outbox (case_id);

CREATE TABLE deliveries (
	outbox_id		TEXT NOT NULL REFERENCES outbox (id),
	attempt			INTEGER NOT NULL,
	at			INTEGER NOT NULL,
	http_status		INTEGER NOT NULL,	-- 0: no HTTP answer
	error			TEXT,
	duration_ms		INTEGER NOT NULL,
	PRIMARY KEY (outbox_id, attempt)
);

CREATE TABLE idempotency (
	client			TEXT NOT NULL,
	idem_key		TEXT NOT NULL,
	request_hash		TEXT NOT NULL,
	status			INTEGER NOT NULL DEFAULT 0,	-- 0: running
	response		TEXT,
	created_at		INTEGER NOT NULL,
	completed_at		INTEGER,
	PRIMARY KEY (client, idem_key)
);
CREATE INDEX idempotency_created_at ON idempotency (created_at);

-- Append-only: hash = SHA-256(prev_hash || canonical row), see store.c.
CREATE TABLE audit (
	seq			INTEGER PRIMARY KEY,
	created_at		INTEGER NOT NULL,
	case_id			TEXT,
	actor			TEXT NOT NULL,
	event			TEXT NOT NULL,
	detail			TEXT NOT NULL,
	prev_hash		TEXT NOT NULL,
	hash			TEXT NOT NULL
);
CREATE INDEX audit_case ON audit (case_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit rows are append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit rows are append-only');
END;
