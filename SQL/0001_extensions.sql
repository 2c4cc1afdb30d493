-- Extensions the schema relies on. Both are "trusted" in PostgreSQL 13+, so the database owner
-- may create them without superuser rights.
--   pgcrypto:   crypt()/gen_salt() for principals' secrets, digest() for the audit hash chain.
--   btree_gist: exclusion constraints that mix equality (mechanism) with ranges (chair terms).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS btree_gist;
