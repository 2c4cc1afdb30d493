-- Security hardening (docs/reliability.md, "Security").

-- Failed sign-ins, shared by every process (console and web) through the database. A sign-in
-- reserves one row per key ('address:<peer>', 'name:<principal name>') before its secret is
-- compared, so concurrent guesses are counted; a success deletes only its own rows. Rows older
-- than the window are ignored and pruned.
CREATE TABLE sign_in_failure (
    id   bigserial PRIMARY KEY,
    key  text NOT NULL,
    at   timestamptz NOT NULL
);
CREATE INDEX sign_in_failure_key_at ON sign_in_failure (key, at);

-- Webhook secrets live apart from the contact row, in a table with no CHECK a value could fail:
-- a refused member_contact row ("Failing row contains (…)") can then never show a secret.
CREATE TABLE member_contact_secret (
    contact_id bigint PRIMARY KEY REFERENCES member_contact ON DELETE CASCADE,
    secret     text NOT NULL
);
INSERT INTO member_contact_secret (contact_id, secret)
    SELECT id, secret FROM member_contact WHERE secret IS NOT NULL;
ALTER TABLE member_contact DROP CONSTRAINT member_contact_webhook_secret;
ALTER TABLE member_contact DROP COLUMN secret;

-- Separation of duties: a new principal of a member that already has an active clerk waits for
-- a clerk of that member to confirm it (USER CONFIRM); until then it can neither sign in nor act.
ALTER TABLE principal ADD COLUMN awaiting_confirmation boolean NOT NULL DEFAULT false;
ALTER TABLE principal ADD COLUMN confirmed_by bigint REFERENCES principal;
ALTER TABLE principal ADD COLUMN confirmed_at timestamptz;
