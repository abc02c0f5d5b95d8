/**
 * ed25519 key pairs the sidecar makes for itself (its loopback host key). ssh2 1.17's
 * `generateKeyPairSync('ed25519')` strips leading zero bytes off the public key
 * (mscdex/ssh2#1390, #1513), so about 1 key in 240 (measured: 21 of 5,000) is one neither its
 * own parser nor OpenSSH accepts, and a sidecar given one could not serve SSH at all. Each pair is
 * therefore checked with ssh2's parser and a bad one drawn again.
 */
import ssh2 from 'ssh2';

export interface Ed25519KeyPair {
  /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
  private: string;
  /** `ssh-ed25519 AAAA...` */
  public: string;
}

/** Draws left before giving up: a bad draw is 1 in 240, so 16 in a row is beyond any chance. */
const ATTEMPTS = 16;

export function generateEd25519KeyPair(
  generate: () => Ed25519KeyPair = () => ssh2.utils.generateKeyPairSync('ed25519'),
): Ed25519KeyPair {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const pair = generate();
    if (
      !(ssh2.utils.parseKey(pair.private) instanceof Error) &&
      !(ssh2.utils.parseKey(pair.public) instanceof Error)
    )
      return pair;
  }
  throw new Error(`could not make a usable ed25519 key pair in ${ATTEMPTS} attempts`);
}
