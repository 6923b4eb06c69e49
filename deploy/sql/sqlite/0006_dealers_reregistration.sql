-- realname store, SQLite, version 6: channels and dealers on every case,
-- and re-registration (补登记) of existing subscribers.
-- A case is either a new order or the re-registration of a number the
-- operator already serves; every case names the dealer that sold it,
-- and the dealer must be registered for the case's channel.
-- subscriber_numbers are the numbers an identity already holds at the
-- operator (imported, and written by every approved case that names a
-- number): the per-ID cap counts them.  Old rows keep dealer ''.

ALTER TABLE cases ADD COLUMN kind TEXT NOT NULL DEFAULT 'new'
    CHECK (kind IN ('new', 'reregistration'));
ALTER TABLE cases ADD COLUMN msisdn TEXT;	-- 11 digits, or NULL
ALTER TABLE cases ADD COLUMN dealer TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_msisdn ON cases (msisdn);
CREATE INDEX cases_channel_dealer ON cases (channel, dealer);

CREATE TABLE dealers (
	code			TEXT PRIMARY KEY,
	channel			TEXT NOT NULL,
	name			TEXT NOT NULL,
	active			INTEGER NOT NULL DEFAULT 1,
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL
);

CREATE TABLE subscriber_numbers (
	msisdn			TEXT PRIMARY KEY,
	id_number_hash		TEXT NOT NULL,	-- keyed hash, as cases
	source			TEXT NOT NULL CHECK (source IN ('import',
				    'case')),
	case_id			TEXT,		-- source 'case' only
	created_at		INTEGER NOT NULL
);
CREATE INDEX subscriber_numbers_id_number_hash ON subscriber_numbers
    (id_number_hash);
