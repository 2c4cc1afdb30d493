-- Mechanisms, their members (with names valid over periods), principals and their roles, and the
-- rotation of the chair.

CREATE TABLE mechanism (
    code              text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{1,15}$'),
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- Positions needed to adopt an item; NULL means every member.
    quorum            integer CHECK (quorum > 0),
    due_days_regular  integer NOT NULL DEFAULT 30 CHECK (due_days_regular > 0),
    due_days_urgent   integer NOT NULL DEFAULT 3 CHECK (due_days_urgent > 0),
    due_days_special  integer NOT NULL DEFAULT 10 CHECK (due_days_special > 0),
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE member (
    mechanism_code text NOT NULL REFERENCES mechanism,
    code           text NOT NULL CHECK (code ~ '^[A-Z]{2,8}$'),
    iso_code       text CHECK (iso_code ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$'),
    gb_code        text CHECK (gb_code ~ '^[0-9]{6}$'),
    rotation_order integer NOT NULL CHECK (rotation_order > 0),
    PRIMARY KEY (mechanism_code, code),
    CONSTRAINT member_rotation_order_unique UNIQUE (mechanism_code, rotation_order)
);

-- A commission's name over time (commissions get renamed).
CREATE TABLE member_name (
    mechanism_code text NOT NULL,
    member_code    text NOT NULL,
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    valid          daterange NOT NULL,
    FOREIGN KEY (mechanism_code, member_code) REFERENCES member,
    CONSTRAINT member_name_no_overlap EXCLUDE USING gist (mechanism_code WITH =, member_code WITH =, valid WITH &&)
);

CREATE TABLE principal (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9._-]{1,63}$'),
    display_name text NOT NULL DEFAULT '' CHECK (char_length(display_name) <= 200),
    -- bcrypt via pgcrypto's crypt(); the secret itself is never stored.
    secret_hash  text NOT NULL CHECK (secret_hash LIKE '$2%'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);

CREATE TABLE principal_role (
    principal_id   bigint NOT NULL REFERENCES principal,
    role           text NOT NULL CHECK (role IN ('clerk', 'auditor', 'operator')),
    mechanism_code text REFERENCES mechanism,
    member_code    text,
    FOREIGN KEY (mechanism_code, member_code) REFERENCES member,
    -- A clerk belongs to exactly one member; auditors and operators to none.
    CONSTRAINT principal_role_clerk_member CHECK ((role = 'clerk') = (member_code IS NOT NULL AND mechanism_code IS NOT NULL)),
    CONSTRAINT principal_role_unique UNIQUE NULLS NOT DISTINCT (principal_id, role, mechanism_code, member_code)
);

-- Chair terms: one member chairs a mechanism over a date range (Asia/Shanghai calendar days,
-- inclusive lower, exclusive upper). No two terms of one mechanism overlap.
CREATE TABLE chair_term (
    id             bigserial PRIMARY KEY,
    mechanism_code text NOT NULL REFERENCES mechanism,
    member_code    text NOT NULL,
    term           daterange NOT NULL CHECK (NOT isempty(term) AND lower_inc(term) AND NOT upper_inf(term)),
    FOREIGN KEY (mechanism_code, member_code) REFERENCES member,
    CONSTRAINT chair_term_no_overlap EXCLUDE USING gist (mechanism_code WITH =, term WITH &&)
);

-- An acting chair holds the chair's powers for a period, designated by the chair.
CREATE TABLE acting_chair (
    id             bigserial PRIMARY KEY,
    mechanism_code text NOT NULL REFERENCES mechanism,
    member_code    text NOT NULL,
    period         daterange NOT NULL CHECK (NOT isempty(period) AND NOT upper_inf(period)),
    designated_by  bigint NOT NULL REFERENCES principal,
    reason         text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
    revoked        boolean NOT NULL DEFAULT false,
    FOREIGN KEY (mechanism_code, member_code) REFERENCES member,
    CONSTRAINT acting_chair_no_overlap EXCLUDE USING gist (mechanism_code WITH =, period WITH &&) WHERE (NOT revoked)
);

-- Recorded exceptions to the rotation: a swap of two future terms (needs both members' consent),
-- a skip (a member gives up its turn; needs its consent).
CREATE TABLE rotation_exception (
    id             bigserial PRIMARY KEY,
    mechanism_code text NOT NULL REFERENCES mechanism,
    kind           text NOT NULL CHECK (kind IN ('swap', 'skip')),
    term_a         bigint NOT NULL REFERENCES chair_term ON DELETE SET NULL,
    term_b         bigint REFERENCES chair_term ON DELETE SET NULL,
    member_a       text NOT NULL,
    member_b       text,
    reason         text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'withdrawn')),
    requested_by   bigint NOT NULL REFERENCES principal,
    requested_at   timestamptz NOT NULL,
    applied_at     timestamptz,
    CONSTRAINT rotation_exception_shape CHECK ((kind = 'swap') = (term_b IS NOT NULL AND member_b IS NOT NULL))
);

CREATE TABLE rotation_consent (
    exception_id bigint NOT NULL REFERENCES rotation_exception,
    member_code  text NOT NULL,
    principal_id bigint NOT NULL REFERENCES principal,
    at           timestamptz NOT NULL,
    PRIMARY KEY (exception_id, member_code)
);

-- The default mechanism and its five members (../shared/domain.md, seed 000).
INSERT INTO mechanism (code, name) VALUES ('NW5', '西北五省区产业合作协调机制');
INSERT INTO member (mechanism_code, code, iso_code, gb_code, rotation_order) VALUES
    ('NW5', 'SN', 'CN-SN', '610000', 1),
    ('NW5', 'GS', 'CN-GS', '620000', 2),
    ('NW5', 'QH', 'CN-QH', '630000', 3),
    ('NW5', 'NX', 'CN-NX', '640000', 4),
    ('NW5', 'XJ', 'CN-XJ', '650000', 5);
INSERT INTO member_name (mechanism_code, member_code, name, valid) VALUES
    ('NW5', 'SN', '陕西省工业和信息化厅', '[2014-01-01,)'),
    -- Seed 001 shows the renamed department issuing a notice in February 2019; the exact date of
    -- the renaming is not in the seeds, so the new name is taken as valid from 2019-01-01.
    ('NW5', 'GS', '甘肃省工业和信息化委员会', '[2014-01-01,2019-01-01)'),
    ('NW5', 'GS', '甘肃省工业和信息化厅', '[2019-01-01,)'),
    ('NW5', 'QH', '青海省经济和信息化委员会', '[2014-01-01,)'),
    ('NW5', 'NX', '宁夏回族自治区经济和信息化委员会', '[2014-01-01,)'),
    ('NW5', 'XJ', '新疆维吾尔自治区经济和信息化委员会', '[2014-01-01,)');
