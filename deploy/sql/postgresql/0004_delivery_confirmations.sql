-- realname store, PostgreSQL, version 4: courier confirmation at delivery
-- (service/delivery.c).  One row per order in delivery_confirmations,
-- advanced only by a compare-and-set on its attempt count; one row per
-- courier attempt, with the figures and reasons the result was built
-- from.  Nothing here holds a name, an ID number or image bytes.

CREATE TABLE delivery_confirmations (
	order_ref		TEXT PRIMARY KEY,
	case_id			TEXT NOT NULL REFERENCES cases (id),
	state			TEXT NOT NULL CHECK (state IN ('OPEN',
				    'CONFIRMED', 'REVIEW')),
	attempts		INTEGER NOT NULL DEFAULT 0,
	last_result		TEXT CHECK (last_result IN ('CONFIRMED',
				    'MISMATCH', 'REVIEW')),
	last_reasons		TEXT,		-- JSON
	last_courier		TEXT,
	created_at		BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL,
	confirmed_at		BIGINT
);
CREATE INDEX delivery_confirmations_case ON delivery_confirmations (case_id);

CREATE TABLE delivery_attempts (
	id			TEXT PRIMARY KEY CHECK (length(id) = 32),
	order_ref		TEXT NOT NULL REFERENCES
				    delivery_confirmations (order_ref),
	attempt			INTEGER NOT NULL CHECK (attempt > 0),
	case_id			TEXT NOT NULL REFERENCES cases (id),
	courier_id		TEXT NOT NULL,
	result			TEXT NOT NULL CHECK (result IN ('CONFIRMED',
				    'MISMATCH', 'REVIEW')),
	figures			TEXT NOT NULL,	-- JSON
	reasons			TEXT NOT NULL,	-- JSON
	outbox_id		TEXT REFERENCES outbox (id),
	created_at		BIGINT NOT NULL,
	UNIQUE (order_ref, attempt)
);
