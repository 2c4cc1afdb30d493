-- Agenda items (议题) and consultations (协商议事): meetings, extraordinary meetings and written
-- procedures, with each member's position on each tabled item and gap-free decision numbers.

CREATE TABLE agenda_item (
    id             bigserial PRIMARY KEY,
    mechanism_code text NOT NULL REFERENCES mechanism,
    member_code    text NOT NULL,                -- the filing member
    filed_by       bigint NOT NULL REFERENCES principal,
    category       text NOT NULL CHECK (category IN ('direction', 'priorities', 'major_project', 'policy', 'other')),
    track          text NOT NULL CHECK (track IN ('regular', 'urgent', 'special')),
    title          text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body           text NOT NULL DEFAULT '' CHECK (char_length(body) <= 20000),
    justification  text CHECK (char_length(justification) <= 20000),
    project_id     bigint REFERENCES project,
    state          text NOT NULL DEFAULT 'draft' CHECK (state IN
                       ('draft', 'submitted', 'accepted', 'returned', 'withdrawn', 'tabled', 'adopted', 'rejected')),
    return_reason  text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    FOREIGN KEY (mechanism_code, member_code) REFERENCES member,
    CONSTRAINT agenda_item_special_justified CHECK (track <> 'special' OR coalesce(btrim(justification), '') <> '')
);
CREATE INDEX agenda_item_state ON agenda_item (mechanism_code, state);

CREATE TABLE consultation (
    id                bigserial PRIMARY KEY,
    mechanism_code    text NOT NULL REFERENCES mechanism,
    convened_by       bigint NOT NULL REFERENCES principal,
    chair_member      text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('meeting', 'extraordinary', 'written')),
    at                timestamptz,                   -- meetings: when
    place             text CHECK (char_length(place) <= 200),
    agenda_deadline   timestamptz NOT NULL,
    response_deadline timestamptz,                   -- written procedures
    rule              text NOT NULL DEFAULT 'consent' CHECK (rule IN ('consent', 'silence')),
    state             text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'open', 'closed', 'cancelled')),
    minutes           text CHECK (char_length(minutes) <= 100000),
    cancel_reason     text,
    created_at        timestamptz NOT NULL,
    closed_at         timestamptz,
    FOREIGN KEY (mechanism_code, chair_member) REFERENCES member,
    CONSTRAINT consultation_meeting_time CHECK (kind = 'written' OR at IS NOT NULL),
    CONSTRAINT consultation_written_deadline CHECK (kind <> 'written' OR response_deadline IS NOT NULL),
    CONSTRAINT consultation_silence_written CHECK (rule = 'consent' OR kind = 'written')
);

CREATE TABLE consultation_item (
    consultation_id bigint NOT NULL REFERENCES consultation,
    item_id         bigint NOT NULL REFERENCES agenda_item,
    ordinal         integer NOT NULL,
    outcome         text CHECK (outcome IN ('adopted', 'rejected', 'deferred')),
    decision_number text,
    decided_at      timestamptz,
    decided_by      bigint REFERENCES principal,
    PRIMARY KEY (consultation_id, item_id),
    CONSTRAINT consultation_item_ordinal_unique UNIQUE (consultation_id, ordinal),
    CONSTRAINT consultation_item_number_unique UNIQUE (decision_number),
    CONSTRAINT consultation_item_number_when_adopted CHECK ((outcome = 'adopted') = (decision_number IS NOT NULL))
);

CREATE TABLE item_position (
    consultation_id bigint NOT NULL,
    item_id         bigint NOT NULL,
    member_code     text NOT NULL,
    stance          text NOT NULL CHECK (stance IN ('agree', 'object', 'abstain', 'reserve')),
    note            text CHECK (char_length(note) <= 2000),
    recorded_by     bigint NOT NULL REFERENCES principal,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (consultation_id, item_id, member_code),
    FOREIGN KEY (consultation_id, item_id) REFERENCES consultation_item,
    CONSTRAINT item_position_reserve_note CHECK (stance <> 'reserve' OR coalesce(btrim(note), '') <> '')
);

-- Gap-free decision numbers per mechanism and year: the counter row is locked by the
-- incrementing transaction, and a rollback takes the number back.
CREATE TABLE decision_counter (
    mechanism_code text NOT NULL REFERENCES mechanism,
    year           integer NOT NULL,
    last           integer NOT NULL,
    PRIMARY KEY (mechanism_code, year)
);
