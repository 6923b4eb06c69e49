-- realname store, PostgreSQL, version 7: QA sampling of the pipeline's own
-- decisions (service/store_qa.c).
-- A share of the automatic APPROVED and REJECTED decisions is queued for
-- a supervisor's second look, stratified by channel: systematic sampling
-- per channel with a random start, decided in the decision's own
-- transaction.  qa_strata holds each channel's position in its sequence;
-- qa_samples one row per sampled case, which is also the supervisor's
-- decision row (agree, or override with the new state and a reason).

CREATE TABLE qa_strata (
	channel			TEXT PRIMARY KEY,
	share_ppm		INTEGER NOT NULL,	-- parts per million
	start_ppm		INTEGER NOT NULL,	-- random start, < 10^6
	seen			BIGINT NOT NULL,	-- eligible decisions
	sampled			BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL
);

CREATE TABLE qa_samples (
	case_id			TEXT PRIMARY KEY REFERENCES cases (id),
	channel			TEXT NOT NULL,
	dealer			TEXT NOT NULL,
	auto_state		TEXT NOT NULL CHECK (auto_state IN ('APPROVED',
				    'REJECTED')),
	seq			BIGINT NOT NULL,	-- position in stratum
	sampled_at		BIGINT NOT NULL,
	verdict			TEXT CHECK (verdict IN ('agree', 'override')),
	supervisor		TEXT REFERENCES reviewers (name),
	to_state		TEXT CHECK (to_state IN ('APPROVED',
				    'REJECTED', 'REVIEW')),
	reason			TEXT,
	comment			TEXT,
	reviewed_at		BIGINT
);
CREATE INDEX qa_samples_sampled_at ON qa_samples (sampled_at);
CREATE INDEX qa_samples_reviewed_at ON qa_samples (reviewed_at);
