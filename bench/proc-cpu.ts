import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/**
 * Seconds a process's threads have spent runnable but waiting for a core (the second field of
 * /proc/PID/task/TID/schedstat), summed. On a shared machine a process that looks idle by CPU time
 * over wall time may instead be queued behind other work; this tells the two apart.
 */
export function runQueueSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // A thread that ended between the listing and the read has nothing more to add.
    }
  }
  return ns / 1e9;
}

/**
 * CPU seconds the whole machine has been busy so far (every core, user + nice + system + irq +
 * softirq, from /proc/stat). The difference over a transfer is what the transfer cost the machine
 * in all: the clients, the servers, the sidecar and the recording store together, so a path whose
 * processes share the cores can be compared with one that has fewer of them.
 */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of a process and its direct children that are alive now: a PostgreSQL server's
 * postmaster and its backends and background workers (a backend that has exited takes its share
 * with it, so measure over a span in which the connections of interest stay open).
 */
export function processTreeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      // Gone between the listing and the read.
    }
  }
  return total;
}
