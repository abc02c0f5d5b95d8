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
  readonly clientsRefused = new Counter({
    name: 'crewgate_clients_refused_total',
    help: 'Client connections ended before a session began (handshake timeout, protocol error), by reason.',
    labelNames: ['protocol', 'reason'] as const,
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'crewgate_requests_total',
    help: 'HTTP-level requests (Kubernetes API, HTTP) by outcome: allow, deny, approval_refused, bad_request, unauthorized, unmaskable, upstream_error.',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly upstreamSeconds = new Histogram({
    name: 'crewgate_upstream_seconds',
    help: 'Time from sending a request to the target to its response headers (a watch counts until its first byte).',
    labelNames: ['protocol'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly recordingEventsSpooled = new Counter({
    name: 'crewgate_recording_events_spooled_total',
    help: 'Session events appended to the local spool.',
    registers: [this.registry],
  });
  readonly recordingEventsShipped = new Counter({
    name: 'crewgate_recording_events_shipped_total',
    help: 'Session events written to the recording store.',
    registers: [this.registry],
  });
  readonly recordingSpoolBytes = new Gauge({
    name: 'crewgate_recording_spool_bytes',
    help: 'Bytes in the spool not yet shipped to the store; at the configured bound new commands are refused.',
    registers: [this.registry],
  });
  readonly recordingStoreErrors = new Counter({
    name: 'crewgate_recording_store_errors_total',
    help: 'Failed attempts to ship a batch to the recording store (each is retried with backoff).',
    registers: [this.registry],
  });
  readonly recordingSessionEndReports = new Counter({
    name: 'crewgate_recording_session_end_reports_total',
    help: 'Final hashes reported to the control plane: delivered, or dropped after its retries (then only in the log).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
}
