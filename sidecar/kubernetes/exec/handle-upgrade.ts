/**
 * The upgrade path (exec, attach, port-forward). This build refuses every upgrade, failing
 * closed, until the exec/attach/port-forward implementation replaces this file.
 */
import { rawStatusResponse } from '../status.js';
import type { UpgradeInput } from '../upgrade-input.js';

export function handleUpgrade(input: UpgradeInput): void {
  input.logger.info(
    { session: input.session, url: input.req.url },
    'upgrade refused: not enabled in this build',
  );
  input.socket.end(
    rawStatusResponse(403, 'Forbidden', 'exec/attach/port-forward are not enabled in this build'),
  );
}
