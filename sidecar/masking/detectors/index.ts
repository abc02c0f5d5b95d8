/**
 * The built-in detectors by the names a MaskingRule uses (`detectors: [creditCard, email]`). Each
 * is a pure function from text to spans, with its own tests.
 */
import type { Detector } from '../../../crds/schemas/masking-rule.js';
import { findAwsAccessKeys } from './aws-access-key.js';
import { findCreditCards } from './credit-card.js';
import { findEmails } from './email.js';
import { findIbans } from './iban.js';
import { findJwts } from './jwt.js';
import { findPemPrivateKeys } from './pem-private-key.js';
import { findPhones } from './phone.js';
import type { DetectorFn } from './span.js';
import { findUsSsns } from './us-ssn.js';

export const DETECTORS: Readonly<Record<Detector, DetectorFn>> = Object.freeze({
  creditCard: findCreditCards,
  email: findEmails,
  phone: findPhones,
  usSsn: findUsSsns,
  iban: findIbans,
  jwt: findJwts,
  awsAccessKey: findAwsAccessKeys,
  pemPrivateKey: findPemPrivateKeys,
});

export type { DetectorFn, Span } from './span.js';
export { luhnValid } from './credit-card.js';
export { ibanChecksumValid } from './iban.js';
