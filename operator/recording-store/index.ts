/** The recording store (DESIGN.md §7): schema, migrations, partitions and roles, owned by the operator. */
export { MIGRATIONS, type Migration } from './migrations.js';
export { migrate, MigrationError } from './migrate.js';
export { ensurePartitions, dropPartitionsBefore, listPartitions, partitionName } from './partitions.js';
export { createSidecarRole, createReaderRole, RoleError, type RoleSpec } from './roles.js';
export { provisionStore, type ProvisionOptions } from './provision.js';
export {
  provisionConfiguredStore,
  startStoreProvisioning,
  type StoreProvisioning,
  type StoreState,
} from './operator-store.js';
export { readStoreLogins, STORE_SECRET_KEYS, StoreSecretError, type StoreLogins } from './store-secret.js';
