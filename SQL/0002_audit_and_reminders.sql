-- The audit trail: append-only, each row sealed with a SHA-256 hash chained to the previous row's,
-- computed here in the database so that no code path can skip or fake it.

CREATE TABLE audit_event (
    seq            bigint PRIMARY KEY,
    at             timestamptz NOT NULL,          -- the service clock's time of the change
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    principal_id   bigint,                        -- NULL for the system itself (migrations, daemon)
    principal_name text NOT NULL,
    mechanism_code text,
    member_code    text,                          -- the member the principal acted for, if any
    action         text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    entity         text NOT NULL,
    entity_id      text NOT NULL,
    before         jsonb,
    after          jsonb,
    reason         text,
    prev_hash      bytea NOT NULL,
    hash           bytea NOT NULL,
    CONSTRAINT audit_event_prev_hash_unique UNIQUE (prev_hash),
    CONSTRAINT audit_event_hash_length CHECK (octet_length(hash) = 32 AND octet_length(prev_hash) = 32)
);
CREATE INDEX audit_event_entity ON audit_event (entity, entity_id, seq);
CREATE INDEX audit_event_at ON audit_event (at);

CREATE FUNCTION audit_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN '-' ELSE octet_length(value)::text || ':' || value END
$$;

-- The bytes that are hashed, version 1: each field as its decimal byte length, ':', its UTF-8 bytes,
-- in this order; NULL as '-'. Timestamps as microseconds since the Unix epoch (UTC).
CREATE FUNCTION audit_canonical_v1(e audit_event) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(
        concat_ws('',
            'lunzhi-audit-v1',
            audit_field(e.seq::text),
            audit_field((extract(epoch FROM e.at) * 1000000)::bigint::text),
            audit_field(e.principal_id::text),
            audit_field(e.principal_name),
            audit_field(e.mechanism_code),
            audit_field(e.member_code),
            audit_field(e.action),
            audit_field(e.entity),
            audit_field(e.entity_id),
            audit_field(e.before::text),
            audit_field(e.after::text),
            audit_field(e.reason)),
        'UTF8')
$$;

-- Seals a new row: seq = previous + 1 (never from a sequence, so no gaps), hash chained to the
-- previous row's. The transaction-level advisory lock serialises appenders until commit.
CREATE FUNCTION audit_event_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last audit_event%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(7307418812334735969);  -- 'lunzhiau'
    SELECT * INTO last FROM audit_event ORDER BY seq DESC LIMIT 1;
    IF FOUND THEN
        NEW.seq := last.seq + 1;
        NEW.prev_hash := last.hash;
    ELSE
        NEW.seq := 1;
        NEW.prev_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    NEW.recorded_at := clock_timestamp();
    NEW.hash := sha256(NEW.prev_hash || audit_canonical_v1(NEW));
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_event_seal BEFORE INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_seal();

CREATE FUNCTION audit_event_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
-- Fire even under session_replication_role = replica.
ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_seal;
ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_update;
ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_truncate;

-- Reminders scheduled by changes, in the same transaction; the reminder daemon delivers them.
CREATE TABLE reminder (
    id               bigserial PRIMARY KEY,
    mechanism_code   text NOT NULL,
    recipient_member text NOT NULL,
    kind             text NOT NULL,
    entity           text NOT NULL,
    entity_id        text NOT NULL,
    due_at           timestamptz NOT NULL,
    idempotency_key  text NOT NULL,
    payload          jsonb NOT NULL DEFAULT '{}',
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'delivered', 'skipped', 'dead')),
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- Enqueuing the same reminder twice yields one, while it is not final.
CREATE UNIQUE INDEX reminder_idempotency ON reminder (idempotency_key)
    WHERE state IN ('pending', 'running');
