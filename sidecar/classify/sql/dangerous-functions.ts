/**
 * Functions whose call is an operation in its own right (`function.<name>`): they act outside the
 * rows a statement names (kill sessions, read server files, run SQL text, talk to other servers,
 * change settings or sequences), so a policy must be able to see them even inside a "read".
 *
 * Kept as data so the list is reviewed like a policy, not buried in code. Names are matched
 * case-insensitively. A builtin matches when called unqualified or as `pg_catalog.<name>`; a call
 * qualified with another schema (`myschema.pg_read_file`) is someone else's function. Extension
 * functions (`anySchema`) live wherever CREATE EXTENSION put them, so they match in any schema.
 * A name ending in `*` matches every function with that prefix.
 *
 * Deliberately not listed (harmless): pg_sleep, txid_current / pg_current_xact_id, currval, lastval,
 * xpath and the other XML/JSON accessors, current_setting.
 */

export interface DangerousFunction {
  /** Lowercase function name, or a prefix ending in `*`. */
  readonly name: string;
  /** Why a call deserves its own operation. */
  readonly reason: string;
  /** True for extension functions, which may be installed in any schema. */
  readonly anySchema?: boolean;
}

export const DANGEROUS_FUNCTIONS: readonly DangerousFunction[] = [
  // Other sessions and the server process.
  { name: 'pg_terminate_backend', reason: 'kills another session' },
  { name: 'pg_cancel_backend', reason: "cancels another session's query" },
  { name: 'pg_reload_conf', reason: 'reloads the server configuration' },
  { name: 'pg_rotate_logfile', reason: 'rotates the server log' },
  { name: 'pg_log_backend_memory_contexts', reason: 'makes another backend write to the server log' },
  { name: 'pg_promote', reason: 'promotes a standby to primary' },
  { name: 'pg_wal_replay_pause', reason: 'pauses recovery on a standby' },
  { name: 'pg_wal_replay_resume', reason: 'resumes recovery on a standby' },
  { name: 'pg_stat_reset*', reason: 'resets statistics that monitoring relies on' },
  { name: 'pg_stat_statements_reset', reason: 'erases the query statistics history', anySchema: true },
  { name: 'pg_clear_relation_stats', reason: 'overwrites planner statistics' },
  { name: 'pg_clear_attribute_stats', reason: 'overwrites planner statistics' },
  { name: 'pg_restore_relation_stats', reason: 'overwrites planner statistics' },
  { name: 'pg_restore_attribute_stats', reason: 'overwrites planner statistics' },
  { name: 'pg_import_system_collations', reason: 'creates collations in the catalog' },
  { name: 'binary_upgrade_*', reason: 'pg_upgrade hooks that write the catalog directly' },

  // WAL, backups and replication.
  { name: 'pg_switch_wal', reason: 'forces a WAL segment switch' },
  { name: 'pg_create_restore_point', reason: 'writes a named restore point to WAL' },
  { name: 'pg_backup_start', reason: 'starts an online backup' },
  { name: 'pg_backup_stop', reason: 'stops an online backup' },
  { name: 'pg_start_backup', reason: 'starts an online backup (before PostgreSQL 15)' },
  { name: 'pg_stop_backup', reason: 'stops an online backup (before PostgreSQL 15)' },
  { name: 'pg_log_standby_snapshot', reason: 'writes a snapshot record to WAL' },
  { name: 'pg_create_physical_replication_slot', reason: 'creates a replication slot that retains WAL' },
  { name: 'pg_create_logical_replication_slot', reason: 'creates a replication slot that retains WAL' },
  { name: 'pg_copy_physical_replication_slot', reason: 'creates a replication slot that retains WAL' },
  { name: 'pg_copy_logical_replication_slot', reason: 'creates a replication slot that retains WAL' },
  { name: 'pg_drop_replication_slot', reason: 'drops a replication slot a replica depends on' },
  { name: 'pg_replication_slot_advance', reason: 'moves a replication slot, discarding changes' },
  { name: 'pg_sync_replication_slots', reason: 'synchronises failover slots from the primary' },
  { name: 'pg_logical_slot_get_changes', reason: 'consumes every change decoded by a slot' },
  { name: 'pg_logical_slot_get_binary_changes', reason: 'consumes every change decoded by a slot' },
  {
    name: 'pg_logical_slot_peek_changes',
    reason: 'reads every change in the database, bypassing per-table checks',
  },
  {
    name: 'pg_logical_slot_peek_binary_changes',
    reason: 'reads every change in the database, bypassing per-table checks',
  },
  { name: 'pg_logical_emit_message', reason: 'writes an arbitrary message into WAL' },
  { name: 'pg_replication_origin_*', reason: 'creates, drops or moves replication origins' },

  // The server's file system.
  { name: 'pg_read_file', reason: 'reads a file on the database server' },
  { name: 'pg_read_binary_file', reason: 'reads a file on the database server' },
  { name: 'pg_ls_dir', reason: 'lists a directory on the database server' },
  { name: 'pg_stat_file', reason: 'stats a file on the database server' },
  { name: 'pg_ls_logdir', reason: 'lists server log files' },
  { name: 'pg_ls_waldir', reason: 'lists WAL files' },
  { name: 'pg_ls_tmpdir', reason: 'lists temporary files' },
  { name: 'pg_ls_archive_statusdir', reason: 'lists WAL archive status files' },
  { name: 'pg_ls_logicalsnapdir', reason: 'lists logical decoding snapshot files' },
  { name: 'pg_ls_logicalmapdir', reason: 'lists logical decoding mapping files' },
  { name: 'pg_ls_replslotdir', reason: 'lists replication slot files' },
  { name: 'pg_write_file', reason: 'writes a file on the server (not in core; catches look-alikes)' },
  { name: 'pg_file_write', reason: 'writes a file on the database server (adminpack)' },
  { name: 'pg_file_rename', reason: 'renames a file on the database server (adminpack)' },
  { name: 'pg_file_unlink', reason: 'deletes a file on the database server (adminpack)' },
  { name: 'pg_file_sync', reason: 'fsyncs a file on the database server (adminpack)' },

  // Large objects: server-side file import/export and writes outside any table privilege.
  { name: 'lo_import', reason: 'reads a server file into a large object' },
  { name: 'lo_export', reason: 'writes a large object to a server file' },
  { name: 'lo_unlink', reason: 'deletes a large object' },
  { name: 'lo_create', reason: 'creates a large object' },
  { name: 'lo_creat', reason: 'creates a large object' },
  { name: 'lo_from_bytea', reason: 'creates a large object' },
  { name: 'lo_put', reason: 'writes into a large object' },
  { name: 'lowrite', reason: 'writes into a large object' },
  { name: 'lo_truncate', reason: 'truncates a large object' },
  { name: 'lo_truncate64', reason: 'truncates a large object' },

  // Settings, sequences, locks, notifications: side effects of a "read".
  { name: 'set_config', reason: "changes a setting, including 'role' and 'session_authorization'" },
  { name: 'nextval', reason: 'advances a sequence' },
  { name: 'setval', reason: 'sets a sequence' },
  { name: 'pg_advisory_lock*', reason: 'takes a session advisory lock' },
  { name: 'pg_advisory_xact_lock*', reason: 'takes a transaction advisory lock' },
  { name: 'pg_try_advisory_lock*', reason: 'takes a session advisory lock' },
  { name: 'pg_try_advisory_xact_lock*', reason: 'takes a transaction advisory lock' },
  { name: 'pg_advisory_unlock*', reason: 'releases advisory locks other code may rely on' },
  { name: 'pg_notify', reason: 'sends a notification' },

  // SQL text executed by a function, or whole tables read by name: invisible to `resources`.
  { name: 'query_to_xml', reason: 'executes arbitrary SQL text' },
  { name: 'query_to_xmlschema', reason: 'executes arbitrary SQL text' },
  { name: 'query_to_xml_and_xmlschema', reason: 'executes arbitrary SQL text' },
  { name: 'cursor_to_xml', reason: 'fetches from a cursor over arbitrary SQL' },
  { name: 'cursor_to_xmlschema', reason: 'fetches from a cursor over arbitrary SQL' },
  { name: 'table_to_xml*', reason: 'reads a whole table named by a string' },
  { name: 'schema_to_xml*', reason: 'reads every table of a schema' },
  { name: 'database_to_xml*', reason: 'reads every table of the database' },
  { name: 'ts_stat', reason: 'executes arbitrary SQL text' },
  { name: 'ts_rewrite', reason: 'can execute arbitrary SQL text' },
  { name: 'dblink*', reason: 'runs SQL on another server (dblink extension)', anySchema: true },
];

interface CompiledList {
  readonly exact: ReadonlyMap<string, DangerousFunction>;
  readonly prefixes: readonly (readonly [string, DangerousFunction])[];
}

function compile(list: readonly DangerousFunction[]): CompiledList {
  const exact = new Map<string, DangerousFunction>();
  const prefixes: [string, DangerousFunction][] = [];
  for (const entry of list) {
    if (entry.name.endsWith('*')) prefixes.push([entry.name.slice(0, -1), entry]);
    else exact.set(entry.name, entry);
  }
  return { exact, prefixes };
}

const COMPILED = compile(DANGEROUS_FUNCTIONS);

function lookup(name: string): DangerousFunction | undefined {
  const hit = COMPILED.exact.get(name);
  if (hit) return hit;
  for (const [prefix, entry] of COMPILED.prefixes) if (name.startsWith(prefix)) return entry;
  return undefined;
}

/**
 * The list entry a call resolves to, or undefined. `nameParts` is the function name as the parser
 * gives it (`['pg_catalog', 'pg_read_file']`, `['dblink']`), in any case.
 */
export function findDangerousFunction(nameParts: readonly string[]): DangerousFunction | undefined {
  const last = nameParts[nameParts.length - 1];
  if (last === undefined) return undefined;
  const entry = lookup(last.toLowerCase());
  if (!entry) return undefined;
  if (nameParts.length === 1 || entry.anySchema) return entry;
  // `pg_catalog.f`, and `db.pg_catalog.f` (PostgreSQL accepts the current database's name there).
  const schema = nameParts[nameParts.length - 2];
  return schema !== undefined && schema.toLowerCase() === 'pg_catalog' ? entry : undefined;
}
