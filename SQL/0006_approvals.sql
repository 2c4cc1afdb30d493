-- Case-by-case approvals (一事一议) of support for a project, on a track, with each party's answer.

CREATE TABLE approval (
    id                 bigserial PRIMARY KEY,
    mechanism_code     text NOT NULL REFERENCES mechanism,
    project_id         bigint NOT NULL REFERENCES project,
    requester_member   text NOT NULL,
    requested_by       bigint NOT NULL REFERENCES principal,
    track              text NOT NULL CHECK (track IN ('regular', 'urgent', 'special')),
    ask                text NOT NULL CHECK (char_length(ask) BETWEEN 1 AND 20000),
    justification      text CHECK (char_length(justification) <= 20000),
    state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
    requested_at       timestamptz NOT NULL,
    due_at             timestamptz NOT NULL,
    decided_at         timestamptz,
    catalogue_version  integer NOT NULL,
    screening          text NOT NULL CHECK (screening IN ('clear', 'screened')),
    screened_code      text,
    FOREIGN KEY (mechanism_code, requester_member) REFERENCES member,
    CONSTRAINT approval_special_justified CHECK (track <> 'special' OR coalesce(btrim(justification), '') <> ''),
    CONSTRAINT approval_screened_special CHECK (screening = 'clear' OR track = 'special')
);
CREATE INDEX approval_pending_due ON approval (due_at) WHERE state = 'pending';

CREATE TABLE approval_party (
    approval_id bigint NOT NULL REFERENCES approval,
    member_code text NOT NULL,
    answer      text CHECK (answer IN ('grant', 'deny')),
    note        text CHECK (char_length(note) <= 2000),
    answered_by bigint REFERENCES principal,
    answered_at timestamptz,
    PRIMARY KEY (approval_id, member_code),
    CONSTRAINT approval_party_answer_complete CHECK ((answer IS NULL) = (answered_at IS NULL))
);
