-- Database roles and signed checkpoints for the decision history.
--
-- lunzhi_service: what the service logs in as (a login role made a member of it). It reads and
-- writes the domain tables but may only SELECT and INSERT audit rows: it cannot update, delete,
-- truncate, or alter the audit table or its triggers (only the owner, who runs migrations, can).
-- lunzhi_auditor: read-only, for auditors who query the database directly.
--
-- Roles belong to the cluster, not the database, so creating them tolerates their existing already
-- (several Lunzhi databases in one cluster, or migrations racing). A migrating user without
-- CREATEROLE gets a notice, and the grants are made once an administrator creates the roles and runs
-- `SELECT lunzhi_grant_roles()`.

CREATE FUNCTION lunzhi_grant_roles() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lunzhi_service') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA public TO lunzhi_service';
        EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lunzhi_service';
        EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO lunzhi_service';
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_event, audit_checkpoint FROM lunzhi_service';
        EXECUTE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON lunzhi_migrations FROM lunzhi_service';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lunzhi_service';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO lunzhi_service';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lunzhi_auditor') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA public TO lunzhi_auditor';
        EXECUTE 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO lunzhi_auditor';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO lunzhi_auditor';
    END IF;
END
$$;

-- Checkpoints as signed (C2SP signed-note text). The authoritative copies are the checkpoint log
-- files held outside the database; these rows are a convenience for the console's AUDIT VERIFY
-- and the metrics, and are append-only like the events.
CREATE TABLE audit_checkpoint (
    id         bigserial PRIMARY KEY,
    size       bigint NOT NULL CHECK (size >= 0),
    head       bytea NOT NULL CHECK (octet_length(head) = 32),
    key_name   text NOT NULL,
    note       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
ALTER TABLE audit_checkpoint ENABLE ALWAYS TRIGGER audit_checkpoint_no_update;
ALTER TABLE audit_checkpoint ENABLE ALWAYS TRIGGER audit_checkpoint_no_truncate;

-- Auditor queries: the log by principal and by action.
CREATE INDEX audit_event_principal ON audit_event (principal_name, seq);
CREATE INDEX audit_event_action ON audit_event (action, seq);

DO $$
BEGIN
    BEGIN
        CREATE ROLE lunzhi_service NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE lunzhi_auditor NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot create roles lunzhi_service and lunzhi_auditor (no CREATEROLE); see SQL/0008';
END
$$;

SELECT lunzhi_grant_roles();
