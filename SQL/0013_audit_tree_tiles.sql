-- The Merkle tree at tile granularity (docs/audit-format.md, "The tree"). SQL/0012 stored every
-- node: two rows and a lookup per appended event, which made an append 1.94× the chain-only seal
-- (Benchmarks/audit.sh). Now:
--   * each event keeps its own leaf hash, SHA-256(0x00 ‖ canonical bytes), in `leaf_hash`, set by
--     the seal trigger from the canonical bytes it computes anyway;
--   * audit_tree keeps only the complete subtrees of 16 leaves and more (level ≥ 4), appended when
--     an event completes a group of 16: 1/8 row per event on average.
-- A node of level 1–3 is recomputed from at most 8 leaf hashes when a root or proof needs it.
-- The chain, its hashes and the roots are unchanged: nothing sealed or signed changes meaning.

ALTER TABLE audit_event ADD COLUMN leaf_hash bytea CHECK (octet_length(leaf_hash) = 32);

-- Moving the leaves out of audit_tree is the one change to sealed rows this schema allows, made by
-- the owner in this migration with the append-only triggers off, and only with the leaves 0012
-- stored: an event altered since then keeps a leaf that does not match it, and verification says so.
ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update;
UPDATE audit_event e SET leaf_hash = t.hash FROM audit_tree t WHERE t.level = 0 AND t.idx = e.seq - 1;
ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_update;

DO $$
DECLARE
    missing bigint;
BEGIN
    SELECT min(seq) INTO missing FROM audit_event WHERE leaf_hash IS NULL;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'audit_tree has no leaf for event %: the tree was altered; restore it before migrating', missing;
    END IF;
END
$$;
ALTER TABLE audit_event ALTER COLUMN leaf_hash SET NOT NULL;

ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_no_update;
DELETE FROM audit_tree WHERE level < 4;
ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_update;
ALTER TABLE audit_tree ADD CONSTRAINT audit_tree_tile_levels CHECK (level >= 4);

DROP FUNCTION audit_tree_append(bigint, bytea);

-- Appends the subtree of leaves 16·tile … 16·tile + 15, whose last leaf is `last_leaf` (the event
-- being sealed, not yet visible), and the larger subtrees it completes.
CREATE FUNCTION audit_tree_append_tile(tile bigint, last_leaf bytea) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    hashes bytea[];
    width int := 16;
    l smallint := 4;
    i bigint := tile;
    h bytea;
    left_hash bytea;
BEGIN
    SELECT array_agg(leaf_hash ORDER BY seq) INTO hashes
    FROM audit_event WHERE seq BETWEEN tile * 16 + 1 AND tile * 16 + 15;
    hashes := hashes || last_leaf;
    IF cardinality(hashes) <> 16 THEN
        RAISE EXCEPTION 'audit_tree: events % to % are not all there', tile * 16 + 1, tile * 16 + 16;
    END IF;
    WHILE width > 1 LOOP
        width := width / 2;
        FOR k IN 1 .. width LOOP
            hashes[k] := sha256('\x01'::bytea || hashes[2 * k - 1] || hashes[2 * k]);
        END LOOP;
    END LOOP;
    h := hashes[1];
    INSERT INTO audit_tree (level, idx, hash) VALUES (l, i, h);
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
    last_seq bigint;
    last_hash bytea;
    canonical bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7307418812334735969);  -- 'lunzhiau'
    SELECT seq, hash INTO last_seq, last_hash FROM audit_event ORDER BY seq DESC LIMIT 1;
    IF FOUND THEN
        NEW.seq := last_seq + 1;
        NEW.prev_hash := last_hash;
    ELSE
        NEW.seq := 1;
        NEW.prev_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    NEW.recorded_at := clock_timestamp();
    canonical := audit_canonical_v1(NEW);
    NEW.hash := sha256(NEW.prev_hash || canonical);
    NEW.leaf_hash := sha256('\x00'::bytea || canonical);
    IF NEW.seq % 16 = 0 THEN
        PERFORM audit_tree_append_tile(NEW.seq / 16 - 1, NEW.leaf_hash);
    END IF;
    RETURN NEW;
END
$$;
