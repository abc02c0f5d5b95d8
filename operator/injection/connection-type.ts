/** The protocol of a Connection, re-exported from the CRD schema so injection code imports one name. */
import type { z } from 'zod';
import type { connectionType } from '../../crds/schemas/connection.js';

export type ConnectionType = z.infer<typeof connectionType>;
