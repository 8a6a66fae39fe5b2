"""PostgreSQL refuses changes to the audit log: no UPDATE (but the sealer's one-time numbering), no DELETE,
no TRUNCATE of entries, tree heads or Merkle nodes; and a BRIN index on the entry time for 100M+ rows.

SQLite has no such triggers; there the signed Merkle tree (verify_audit_log) is the only protection.
The triggers stop the application, the admin and casual SQL. They do not stop the table's owner, who can
disable them: production runs the web role without ownership (see docs/audit-log.md).

Test databases (named ``test_…``) may be truncated, because Django empties tables between transactional
tests with TRUNCATE; a session can switch that off with ``SET yiwang.audit_allow_test_truncate = 'off'``.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The one change ever allowed: the sealer numbering an unsealed entry, every other column unchanged.
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (to_jsonb(NEW) - 'seq' - 'leaf_hash') = (to_jsonb(OLD) - 'seq' - 'leaf_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_database() LIKE 'test\_%'
       AND coalesce(current_setting('yiwang.audit_allow_test_truncate', true), '') <> 'off' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_treehead_append_only BEFORE UPDATE OR DELETE ON audit_treehead
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_treehead_no_truncate BEFORE TRUNCATE ON audit_treehead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_merklenode_append_only BEFORE UPDATE OR DELETE ON audit_merklenode
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_merklenode_no_truncate BEFORE TRUNCATE ON audit_merklenode
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Time-range scans of a log of 100M+ rows: a BRIN index is a few MB where a B-tree is gigabytes.
CREATE INDEX IF NOT EXISTS audit_entry_occurred_brin ON audit_auditentry USING brin (occurred_at);
"""

REVERSE = r"""
DROP INDEX IF EXISTS audit_entry_occurred_brin;
DROP TRIGGER IF EXISTS audit_merklenode_no_truncate ON audit_merklenode;
DROP TRIGGER IF EXISTS audit_merklenode_append_only ON audit_merklenode;
DROP TRIGGER IF EXISTS audit_treehead_no_truncate ON audit_treehead;
DROP TRIGGER IF EXISTS audit_treehead_append_only ON audit_treehead;
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_refuse_change();
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the % of the SQL stay as written

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_carry_over_legacy_logs")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(REVERSE), elidable=False)]
