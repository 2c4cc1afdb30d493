-- The web workspace (docs/web.md).

-- Sessions live here, so several web processes behind a proxy share them. The cookie carries a
-- random token; only its SHA-256 is stored (a reader of this table cannot sign in with it). Each
-- session has its own CSRF token, checked on every form before anything else.
CREATE TABLE web_session (
    token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    principal_id bigint NOT NULL REFERENCES principal,
    csrf_token   text NOT NULL CHECK (char_length(csrf_token) BETWEEN 32 AND 128),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    address      text NOT NULL DEFAULT '' CHECK (char_length(address) <= 200)
);
CREATE INDEX web_session_principal ON web_session (principal_id);

-- The language each principal reads the web in (Simplified Chinese by default), and whether the
-- principal still signs in with the secret an operator handed out (the web asks for a
-- passphrase of its own first).
ALTER TABLE principal ADD COLUMN language text NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en'));
ALTER TABLE principal ADD COLUMN passphrase_set_at timestamptz;
