/** The recording store (DESIGN.md §7): schema, migrations, partitions and roles, owned by the operator. */
export { MIGRATIONS, type Migration } from './migrations.js';
export { migrate, MigrationError } from './migrate.js';
export { ensurePartitions, dropPartitionsBefore, listPartitions, partitionName } from './partitions.js';
export { createSidecarRole, createReaderRole, RoleError, type RoleSpec } from './roles.js';
export { provisionStore, type ProvisionOptions } from './provision.js';
