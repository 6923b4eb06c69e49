-- realname store, PostgreSQL, version 5: the reviewer console
-- (service/review*.c).
-- Reviewers log in with an Argon2id hash (libsodium's crypto_pwhash_str);
-- a session is kept only as the SHA-256 of its cookie; a claim locks one
-- REVIEW case for one reviewer until it expires; each console decision
-- is one row, written with the case's new state, its webhook and its
-- audit row in one transaction.  No name, ID number or image bytes here.

CREATE TABLE reviewers (
	name			TEXT PRIMARY KEY,
	role			TEXT NOT NULL CHECK (role IN ('reviewer',
				    'supervisor', 'auditor')),
	pwhash			TEXT NOT NULL,
	disabled		INTEGER NOT NULL DEFAULT 0,
	failed_logins		INTEGER NOT NULL DEFAULT 0,
	locked_until		BIGINT NOT NULL DEFAULT 0,
	created_at		BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL
);

CREATE TABLE review_sessions (
	id_hash			TEXT PRIMARY KEY,	-- SHA-256 of the cookie
	reviewer		TEXT NOT NULL REFERENCES reviewers (name),
	csrf			TEXT NOT NULL,
	created_at		BIGINT NOT NULL,
	last_seen		BIGINT NOT NULL
);
CREATE INDEX review_sessions_reviewer ON review_sessions (reviewer);

CREATE TABLE review_claims (
	case_id			TEXT PRIMARY KEY REFERENCES cases (id),
	reviewer		TEXT NOT NULL REFERENCES reviewers (name),
	claimed_at		BIGINT NOT NULL,
	expires_at		BIGINT NOT NULL
);

CREATE TABLE review_decisions (
	id			TEXT PRIMARY KEY CHECK (length(id) = 32),
	case_id			TEXT NOT NULL REFERENCES cases (id),
	reviewer		TEXT NOT NULL REFERENCES reviewers (name),
	outcome			TEXT NOT NULL CHECK (outcome IN ('APPROVED',
				    'REJECTED', 'SUBMITTED')),
	reason			TEXT NOT NULL,
	comment			TEXT NOT NULL,
	review_since		BIGINT NOT NULL,	-- the case entered REVIEW
	decided_at		BIGINT NOT NULL
);
CREATE INDEX review_decisions_decided_at ON review_decisions (decided_at);
CREATE INDEX review_decisions_case ON review_decisions (case_id);
