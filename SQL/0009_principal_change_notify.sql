-- Tells running servers that a principal or its roles changed (NOTIFY lunzhi_principals, payload:
-- the principal's id), so a server that remembers callers between reads forgets that one. NOTIFY
-- is delivered at commit, and not at all when the transaction rolls back.
CREATE FUNCTION notify_principal_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    -- One branch per table and operation: a record's fields are resolved when the line runs.
    IF TG_TABLE_NAME = 'principal' AND TG_OP = 'DELETE' THEN
        changed := OLD.id;
    ELSIF TG_TABLE_NAME = 'principal' THEN
        changed := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        changed := OLD.principal_id;
    ELSE
        changed := NEW.principal_id;
    END IF;
    PERFORM pg_notify('lunzhi_principals', changed::text);
    RETURN NULL;
END $$;

CREATE TRIGGER principal_notify AFTER INSERT OR UPDATE OR DELETE ON principal
    FOR EACH ROW EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER principal_role_notify AFTER INSERT OR UPDATE OR DELETE ON principal_role
    FOR EACH ROW EXECUTE FUNCTION notify_principal_change();
