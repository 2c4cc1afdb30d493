-- The audit log as an RFC 9162 Merkle tree (docs/audit-format.md, "The tree"): leaf i (0-based) is
-- the event with seq i + 1, its leaf hash SHA-256(0x00 ‖ canonical bytes); every complete subtree
-- of 2^level leaves starting at leaf idx·2^level is stored as (level, idx), hash
-- SHA-256(0x01 ‖ left ‖ right). The root at any size and every proof are then O(log n) rows.
-- The chain and its hashes stay as they were: nothing already sealed changes meaning.
CREATE TABLE audit_tree (
    level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Appends the event's leaf and the subtrees it completes. Runs in the seal trigger, under its lock,
-- in the inserting transaction.
CREATE FUNCTION audit_tree_append(leaf_index bigint, leaf bytea) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    l smallint := 0;
    i bigint := leaf_index;
    h bytea := leaf;
    left_hash bytea;
BEGIN
    INSERT INTO audit_tree (level, idx, hash) VALUES (0, i, h);
    WHILE i % 2 = 1 LOOP
        SELECT hash INTO left_hash FROM audit_tree WHERE level = l AND idx = i - 1;
        IF left_hash IS NULL THEN
            RAISE EXCEPTION 'audit_tree: node (%, %) is missing', l, i - 1;
        END IF;
        h := sha256('\x01'::bytea || left_hash || h);
        l := l + 1;
        i := i / 2;
        INSERT INTO audit_tree (level, idx, hash) VALUES (l, i, h);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION audit_event_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last audit_event%ROWTYPE;
    canonical bytea;
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
    canonical := audit_canonical_v1(NEW);
    NEW.hash := sha256(NEW.prev_hash || canonical);
    PERFORM audit_tree_append(NEW.seq - 1, sha256('\x00'::bytea || canonical));
    RETURN NEW;
END
$$;

-- The tree of the events already sealed.
DO $$
DECLARE
    e audit_event%ROWTYPE;
BEGIN
    FOR e IN SELECT * FROM audit_event ORDER BY seq LOOP
        PERFORM audit_tree_append(e.seq - 1, sha256('\x00'::bytea || audit_canonical_v1(e)));
    END LOOP;
END
$$;

-- Append-only, like the events.
CREATE TRIGGER audit_tree_no_update BEFORE UPDATE OR DELETE ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_update;
ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_truncate;
