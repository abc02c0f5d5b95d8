/**
 * The sidecar's Prometheus metrics (prom-client), one registry per process, served on /metrics.
 * Labels are bounded: protocol, decision, direction; never a user, a table or a statement.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class SidecarMetrics {
  readonly registry = new Registry();
  readonly commands = new Counter({
    name: 'crewgate_commands_total',
    help: 'Commands judged, by protocol and decision.',
    labelNames: ['protocol', 'decision'] as const,
    registers: [this.registry],
  });
  readonly decisionSeconds = new Histogram({
    name: 'crewgate_decision_seconds',
    help: 'Time to classify and evaluate one message, excluding approval waits.',
    labelNames: ['protocol'] as const,
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly activeSessions = new Gauge({
    name: 'crewgate_active_sessions',
    help: 'Client sessions open now.',
    labelNames: ['protocol'] as const,
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: 'crewgate_bytes_total',
    help: 'Bytes relayed, by protocol and direction (upstream = toward the target).',
    labelNames: ['protocol', 'direction'] as const,
    registers: [this.registry],
  });
  readonly maskedFields = new Counter({
    name: 'crewgate_masked_fields_total',
    help: 'Result fields masked before they reached the agent.',
    labelNames: ['protocol'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'crewgate_auth_failures_total',
    help: 'Refused client identities, by reason.',
    labelNames: ['protocol', 'reason'] as const,
    registers: [this.registry],
  });
}
