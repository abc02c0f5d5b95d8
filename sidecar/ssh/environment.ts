/**
 * Which `env` requests (RFC 4254 §6.4) reach the target. The shell classifier judges a command as
 * the target's shell will run it; a variable such as PATH, BASH_ENV, ENV, LD_PRELOAD or IFS would
 * change what that is (`echo` found in another directory, a startup file run first), so only
 * locale and time-zone variables pass — what OpenSSH's own default `AcceptEnv LANG LC_*` allows,
 * plus TZ. Everything else is refused (OpenSSH's client ignores the refusal, as it does sshd's).
 */
const FORWARDED = /^(LANG|LANGUAGE|LC_[A-Z]+|TZ)$/;
/** Values are words of a locale or zone name; anything with shell or control characters is refused. */
const SAFE_VALUE = /^[A-Za-z0-9_.@:+/-]{0,128}$/;

export function forwardedEnvironment(name: string, value: string): boolean {
  return FORWARDED.test(name) && SAFE_VALUE.test(value);
}
