-- realname store, SQLite, version 2: the live face embedding of each case,
-- for the "same face under another ID number" duplicate signal.  The
-- embedding is float32, little-endian, dims values.

CREATE TABLE case_faces (
	case_id			TEXT PRIMARY KEY REFERENCES cases (id),
	dims			INTEGER NOT NULL CHECK (dims > 0),
	embedding		BLOB NOT NULL CHECK (length(embedding) =
				    4 * dims),
	created_at		INTEGER NOT NULL
);
