/** SSH request classification (DESIGN.md §4): exec through the shell classifier, the rest by kind. */
export {
  classifySshRequest,
  SSH_OPERATIONS,
  subsystemOperation,
  type SshRequest,
} from './classify-ssh-request.js';
