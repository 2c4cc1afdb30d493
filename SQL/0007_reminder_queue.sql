-- The reminder queue: claimable rows with a lease, attempts with their errors, members' contacts.

ALTER TABLE reminder
    ADD COLUMN run_at           timestamptz,                       -- next attempt (due_at at first)
    ADD COLUMN attempts         integer NOT NULL DEFAULT 0,
    ADD COLUMN max_attempts     integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    ADD COLUMN owner            text,                              -- the daemon holding the lease
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN finished_at      timestamptz,
    ADD COLUMN outcome          text;                              -- why skipped / dead, or what was delivered
UPDATE reminder SET run_at = due_at;
ALTER TABLE reminder ALTER COLUMN run_at SET NOT NULL;
ALTER TABLE reminder ADD CONSTRAINT reminder_lease_when_running
    CHECK ((state = 'running') = (owner IS NOT NULL AND lease_expires_at IS NOT NULL));

CREATE FUNCTION reminder_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.run_at := coalesce(NEW.run_at, NEW.due_at);
    RETURN NEW;
END
$$;
CREATE TRIGGER reminder_defaults BEFORE INSERT ON reminder FOR EACH ROW EXECUTE FUNCTION reminder_defaults();

-- Claiming reads only what this index holds; expired leases are found through the second.
CREATE INDEX reminder_claimable ON reminder (run_at) WHERE state = 'pending';
CREATE INDEX reminder_leased ON reminder (lease_expires_at) WHERE state = 'running';
CREATE INDEX reminder_finished ON reminder (finished_at) WHERE state IN ('delivered', 'skipped', 'dead');

-- Wakes daemons: one notification per inserting statement (not per row).
CREATE FUNCTION reminder_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lunzhi_reminders', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER reminder_notify AFTER INSERT ON reminder FOR EACH STATEMENT EXECUTE FUNCTION reminder_notify();

-- Every attempt on every channel, kept with its error.
CREATE TABLE reminder_attempt (
    reminder_id bigint NOT NULL REFERENCES reminder ON DELETE CASCADE,
    attempt     integer NOT NULL,
    channel     text NOT NULL,
    address     text NOT NULL,
    at          timestamptz NOT NULL,
    ok          boolean NOT NULL,
    error       text,
    PRIMARY KEY (reminder_id, attempt, channel, address)
);

-- Where a member is reminded. A member may have several contacts.
CREATE TABLE member_contact (
    id             bigserial PRIMARY KEY,
    mechanism_code text NOT NULL,
    member_code    text NOT NULL,
    channel        text NOT NULL CHECK (channel IN ('email', 'webhook', 'file')),
    address        text NOT NULL CHECK (char_length(address) BETWEEN 1 AND 2000),
    -- For webhooks: the HMAC-SHA256 key the receiver verifies signatures with.
    secret         text,
    enabled        boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (mechanism_code, member_code) REFERENCES member,
    CONSTRAINT member_contact_unique UNIQUE (mechanism_code, member_code, channel, address),
    CONSTRAINT member_contact_webhook_secret CHECK (channel <> 'webhook' OR coalesce(secret, '') <> '')
);
