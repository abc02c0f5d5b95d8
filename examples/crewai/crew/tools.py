"""The crew's tools: plain functions returning text, as an LLM tool must.

Nothing here knows about crewgate. The injected pod's environment points the clients at the
sidecar: libpq reads ``DATABASE_URL`` (or ``PGHOST``/``PGPORT``) and kubectl reads ``KUBECONFIG``.
The only crewgate-specific input is the agent's OIDC token, sent as the PostgreSQL password
(``CREWGATE_TOKEN``, or a file named by ``CREWGATE_TOKEN_FILE``); the database password lives in a
Secret only the sidecar can read.
Without a token libpq sends ``PGPASSWORD``, which the injector sets to the well-known, non-secret
marker ``crewgate:workload-identity``: the sidecar then takes the session as the pod's workload
identity (its service account), so the tools work with no token at all. (libpq never sends an
empty password: ``fe_sendauth: no password supplied``.) A token, when given, wins over it.

A refused command is not an exception to the agent: the tool returns the server's error (for a
policy denial, crewgate's message naming the rule) so the agent can explain or change course.

CLI, for people and tests (prints the tool's output; exits 1 when the tool reports an error)::

    python3 -m crew.tools query-orders [--status open] [--limit 10]
    python3 -m crew.tools run-sql "SELECT count(*) FROM orders"
    python3 -m crew.tools list-pods [--namespace agents]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

ORDERS_SQL = """
SELECT o.id, o.status, o.amount, c.full_name, c.email, c.card_number
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE %(status)s::text IS NULL OR o.status = %(status)s::text
ORDER BY o.id
LIMIT %(limit)s
"""


def _token() -> str | None:
    token = os.environ.get("CREWGATE_TOKEN")
    if token:
        return token.strip()
    path = os.environ.get("CREWGATE_TOKEN_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    return None


def _connect():
    # Imported here so the kubectl tool and `--help` work where psycopg is not installed.
    import psycopg

    params: dict[str, Any] = {
        "user": os.environ.get("PGUSER", "agent"),
        "connect_timeout": 10,
        "application_name": "crewai-research-crew",
    }
    token = _token()
    if token is not None:
        params["password"] = token
    # An empty conninfo lets libpq take PGHOST, PGPORT and PGDATABASE from the environment.
    return psycopg.connect(os.environ.get("DATABASE_URL", ""), **params)


def _error(kind: str, message: str, **extra: Any) -> str:
    return json.dumps({"error": {"kind": kind, "message": message, **extra}})


def _sql(statement: str, params: dict[str, Any] | None = None) -> str:
    import psycopg

    try:
        with _connect() as conn, conn.cursor() as cur:
            cur.execute(statement, params)
            if cur.description is None:
                return json.dumps({"status": cur.statusmessage, "rowcount": cur.rowcount})
            columns = [d.name for d in cur.description]
            rows = [dict(zip(columns, row)) for row in cur.fetchall()]
            return json.dumps({"rows": rows}, default=str)
    except psycopg.Error as e:
        diag = getattr(e, "diag", None)
        message = (diag.message_primary if diag is not None else None) or str(e).strip()
        return _error("postgres", message, sqlstate=getattr(e, "sqlstate", None))


def query_orders(status: str | None = None, limit: int = 10) -> str:
    """Orders with their customer's name, e-mail and card number, optionally of one status, as JSON.

    Under the viewers policy the sidecar masks e-mails and card numbers before they reach the agent.
    """
    return _sql(ORDERS_SQL, {"status": status, "limit": max(1, min(int(limit), 100))})


def run_sql(statement: str) -> str:
    """Runs one SQL statement against the shop database and returns its rows, or the error, as JSON.

    The sidecar judges it: reads are allowed (masked), writes wait for a DBA, drops are denied.
    """
    return _sql(statement)


def _pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.get("metadata", {})
    spec = pod.get("spec", {})
    status = pod.get("status", {})
    ready = [c for c in status.get("containerStatuses", []) if c.get("ready")]
    return {
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "phase": status.get("phase", "Unknown"),
        "node": spec.get("nodeName"),
        "containers": [c.get("name") for c in spec.get("containers", [])],
        "ready": f"{len(ready)}/{len(spec.get('containers', []))}",
    }


def list_pods(namespace: str = "agents") -> str:
    """The pods of a namespace (name, phase, node, containers, readiness) as JSON, via kubectl."""
    try:
        run = subprocess.run(
            ["kubectl", "get", "pods", "--namespace", namespace, "--output", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except FileNotFoundError:
        return _error("kubectl", "kubectl is not on PATH")
    except subprocess.TimeoutExpired:
        return _error("kubectl", "kubectl get pods timed out after 30 s")
    if run.returncode != 0:
        return _error("kubectl", run.stderr.strip(), exitCode=run.returncode)
    try:
        items = json.loads(run.stdout).get("items", [])
    except json.JSONDecodeError as e:
        return _error("kubectl", f"kubectl printed something other than JSON: {e}")
    return json.dumps({"pods": [_pod_summary(p) for p in items]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m crew.tools", description="Run one crew tool.")
    sub = parser.add_subparsers(dest="tool", required=True)
    orders = sub.add_parser("query-orders", help=query_orders.__doc__.splitlines()[0])
    orders.add_argument("--status")
    orders.add_argument("--limit", type=int, default=10)
    sql = sub.add_parser("run-sql", help=run_sql.__doc__.splitlines()[0])
    sql.add_argument("statement")
    pods = sub.add_parser("list-pods", help=list_pods.__doc__.splitlines()[0])
    pods.add_argument("--namespace", "-n", default="agents")
    args = parser.parse_args(argv)

    if args.tool == "query-orders":
        out = query_orders(args.status, args.limit)
    elif args.tool == "run-sql":
        out = run_sql(args.statement)
    else:
        out = list_pods(args.namespace)
    print(out)
    return 1 if "error" in json.loads(out) else 0


if __name__ == "__main__":
    sys.exit(main())
